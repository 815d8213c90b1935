import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { SyncError } from '@syncflow/core'

/**
 * Names whose bytes are not valid UTF-8, by their decoding, with how many decode to each: Node
 * decodes them with U+FFFD, and the decoded name would address a different (missing) file, so they
 * are reported instead of silently lost.
 */
export function undecodableNames(dirAbs: string): Map<string, number> {
  const raw = readdirSync(dirAbs, { encoding: 'buffer' })
  const bad = new Map<string, number>()
  for (const bytes of raw) {
    const name = bytes.toString('utf8')
    if (!Buffer.from(name, 'utf8').equals(bytes)) bad.set(name, (bad.get(name) ?? 0) + 1)
  }
  return bad
}

/**
 * The first part of `rel` (below `root`) that is Node's lossy decoding of a name that is not
 * UTF-8, or undefined when every name of `rel` holding U+FFFD is stored as such (or is missing).
 * Asked only of paths holding U+FFFD, so an ordinary path costs nothing.
 */
export function undecodablePart(root: string, rel: string): string | undefined {
  if (!rel.includes('\ufffd')) return undefined
  let dir = root
  const names = rel.split('/')
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    if (name.includes('\ufffd')) {
      let bad: Map<string, number>
      try {
        bad = undecodableNames(dir)
      } catch {
        return undefined
      }
      if (bad.has(name)) return names.slice(0, i + 1).join('/')
    }
    dir = join(dir, name)
  }
  return undefined
}

/** The error for a name that is not UTF-8: as a listing reports it, so a stat of its decoding does too. */
export function undecodableName(op: string, path: string): SyncError {
  return new SyncError('INVALID_PATH', 'unsafe name skipped: name is not valid UTF-8', {
    op,
    path,
    hint: 'Rename the file, or exclude it with --exclude.',
  })
}
