import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Writes `files` (relative path → content) below `base`, making their directories, each with mtime `at`. */
export async function putTree(base: string, files: Record<string, string>, at: Date): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const file = join(base, path)
    await mkdir(dirname(file), { recursive: true })
    await writeFile(file, content)
    await utimes(file, at, at)
  }
}
