import { isAbsolute, relative, sep } from 'node:path'
import type { DirectoryChain } from '@syncflow/backend-local'
import { type Backend, SyncError, schemeOf } from '@syncflow/core'
import { localPathOf } from './local-path-of.js'

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
    const { existingRealPath } = await import('@syncflow/backend-local')
    ;[a, b] = (await Promise.all([existingRealPath(src), existingRealPath(dst)])).map((r) => r.path) as [string, string]
    within = isWithin
  } else if (src === undefined && dst === undefined && schemeOf(source) === schemeOf(target)) {
    a = trimmed(source)
    b = trimmed(target)
    within = withinUri
  } else {
    return
  }
  const overlap = overlapOf(a, b, within)
  if (overlap === undefined) return
  throw overlapError(source, target, overlap)
}

/** True when the URI `inner` is `outer` or below it (both without trailing slashes). */
function withinUri(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`)
}

function overlapOf(a: string, b: string, within: (inner: string, outer: string) => boolean): string | undefined {
  return a === b
    ? 'are the same location'
    : within(b, a)
      ? 'overlap: the target is inside the source'
      : within(a, b)
        ? 'overlap: the source is inside the target'
        : undefined
}

function overlapError(source: string, target: string, overlap: string): SyncError {
  return new SyncError('USAGE', `source ${JSON.stringify(source)} and target ${JSON.stringify(target)} ${overlap}`, {
    hint: 'Choose a target outside the source that does not contain it either.',
  })
}

/** Where an opened side lies on this host's disk: a local path's, or what a syncflow server said. */
async function chainOf(location: string, backend: Backend): Promise<DirectoryChain | undefined> {
  const local = localPathOf(location)
  if (local !== undefined) {
    const { directoryChain } = await import('@syncflow/backend-local')
    return directoryChain(local)
  }
  const told = (backend as { rootChain?: DirectoryChain }).rootChain
  return told !== undefined && told.ids.length > 0 ? told : undefined
}

/**
 * After opening: refuses a source and target that are one directory, or one inside the other, by
 * identity (device and inode on one machine), where names cannot tell. A `syncflow serve` on this
 * host serving a directory inside the local source would otherwise get one more nested copy of the
 * source on every run (QA 10 #12); two URIs for one server (`localhost`, `127.0.0.1`) are caught too.
 * @throws SyncError `USAGE`
 */
export async function assertNoSharedDirectory(
  source: string,
  target: string,
  backends: { source: Backend; target: Backend },
): Promise<void> {
  // Two local paths were compared by real path already; a chain adds something only with a server.
  if (localPathOf(source) !== undefined && localPathOf(target) !== undefined) return
  // Two spellings of one location (a plugin's `flat:///tmp/x` and `flat://x` run from /tmp, QA 19
  // #1): each backend's `uri` is its location normalized, so the spellings meet there.
  const [su, tu] = [backends.source.uri, backends.target.uri]
  if (schemeOf(su) === schemeOf(tu)) {
    const byUri = overlapOf(trimmed(su), trimmed(tu), withinUri)
    if (byUri !== undefined) throw overlapError(source, target, `${byUri} (${su} and ${tu})`)
  }
  const [a, b] = await Promise.all([chainOf(source, backends.source), chainOf(target, backends.target)])
  if (a === undefined || b === undefined) return
  const overlap =
    a.exists && b.exists && a.ids[0] === b.ids[0]
      ? 'are the same directory (on this host)'
      : b.exists && a.ids.includes(b.ids[0] as string)
        ? 'overlap: the source is inside the target (on this host)'
        : a.exists && b.ids.includes(a.ids[0] as string)
          ? 'overlap: the target is inside the source (on this host)'
          : undefined
  if (overlap !== undefined) throw overlapError(source, target, overlap)
}
