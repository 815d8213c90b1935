import { realpath } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path'
import { SyncError, schemeOf } from '@syncflow/core'
import { localPathOf } from './local-path-of.js'

/** The real path of `p`, resolving symlinks in the part that exists (a target may not exist yet). */
async function realPathOfExisting(p: string): Promise<string> {
  const missing: string[] = []
  let current = p
  for (;;) {
    try {
      return join(await realpath(current), ...missing.reverse())
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      const parent = dirname(current)
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) return p
      missing.push(basename(current))
      current = parent
    }
  }
}

/** True when `inner` is `outer` or below it. */
function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`))
}

/** A remote location without trailing slashes, for a prefix comparison (`s3://b/app` vs `s3://b/app/x`). */
function trimmed(uri: string): string {
  return uri.replace(/\/+$/, '')
}

/**
 * Refuses a source and target where one contains the other (`sync DIR DIR/sub` or the reverse, or the
 * same directory twice): a mirror would copy into itself or delete its own source. Local paths are
 * compared as real paths, so a symlink or `..` cannot hide the overlap.
 * @throws SyncError `USAGE`
 */
export async function assertNoOverlap(source: string, target: string): Promise<void> {
  const src = localPathOf(source)
  const dst = localPathOf(target)
  let within: (inner: string, outer: string) => boolean
  let a: string
  let b: string
  if (src !== undefined && dst !== undefined) {
    ;[a, b] = await Promise.all([realPathOfExisting(src), realPathOfExisting(dst)])
    within = isWithin
  } else if (src === undefined && dst === undefined && schemeOf(source) === schemeOf(target)) {
    a = trimmed(source)
    b = trimmed(target)
    within = (inner, outer) => inner === outer || inner.startsWith(`${outer}/`)
  } else {
    return
  }
  const overlap =
    a === b
      ? 'are the same location'
      : within(b, a)
        ? 'overlap: the target is inside the source'
        : within(a, b)
          ? 'overlap: the source is inside the target'
          : undefined
  if (overlap === undefined) return
  throw new SyncError('USAGE', `source ${JSON.stringify(source)} and target ${JSON.stringify(target)} ${overlap}`, {
    hint: 'Choose a target outside the source that does not contain it either.',
  })
}
