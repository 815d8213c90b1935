import { realpath } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * The real path of `p` (symlinks and `..` resolved) in the part that exists, and how many names
 * below it do not exist yet (a target about to be made). A path that cannot be resolved for another
 * reason than a missing part (a permission) is given back as it is.
 */
export async function existingRealPath(p: string): Promise<{ path: string; missing: number }> {
  const missing: string[] = []
  let current = p
  for (;;) {
    try {
      return { path: join(await realpath(current), ...missing.reverse()), missing: missing.length }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const parent = dirname(current)
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) return { path: p, missing: 0 }
      missing.push(basename(current))
      current = parent
    }
  }
}
