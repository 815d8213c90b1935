import { lstat, readdir, stat } from 'node:fs/promises'
import { dirname, join, posix, relative, sep } from 'node:path'
import type { DirectoryChain, FilesystemPlace, MountEntry } from '@syncflow/backend-local'
import { type Backend, type PathFilter, SyncError, schemeOf, toRelPath } from '@syncflow/core'
import { isWithin } from './is-within.js'
import { localPathOf } from './local-path-of.js'
import { theSide } from './the-side.js'

/** A remote location without trailing slashes, for a prefix comparison (`s3://b/app` vs `s3://b/app/x`). */
function trimmed(uri: string): string {
  return uri.replace(/\/+$/, '')
}

/**
 * Refuses a source and target where one contains the other (`sync DIR DIR/sub` or the reverse, or the
 * same directory twice): a mirror would copy into itself or delete its own source. Local paths are
 * compared as real paths, so a symlink or `..` cannot hide the overlap, then by identity (see
 * identityOverlap), so a bind mount cannot either. One inside the other is allowed where the filters
 * keep it out of the other's listing (rclone's rule: "try excluding the destination with a filter
 * rule"): see OverlapFilters.
 * @throws SyncError `USAGE`
 */
export async function assertNoOverlap(
  source: string,
  target: string,
  filters: OverlapFilters = {},
  names?: OverlapNames,
): Promise<void> {
  const filter = filters.source
  const src = localPathOf(source)
  const dst = localPathOf(target)
  let within: (inner: string, outer: string) => boolean
  let a: string
  let b: string
  if (src !== undefined && dst !== undefined) {
    const { existingRealPath } = await import('@syncflow/backend-local')
    const [ra, rb] = await Promise.all([existingRealPath(src), existingRealPath(dst)])
    const byPath = overlapOf(ra.path, rb.path, isWithin)
    // `rsync -a --exclude /.backup proj/ proj/.backup/`: a target the filters keep out of the source's
    // listing is never copied into itself (QA 22 #17). The other way round a mirror would delete its source.
    const targetLeftOut = byPath === TARGET_INSIDE && leftOut(relative(ra.path, rb.path), filter)
    // `restore proj proj/.old --exclude /.old` (rsync -a proj/.old/ proj/ --exclude /.old): a source
    // the target's listing never enters is neither deleted nor written by the run.
    const sourceLeftOut = byPath === SOURCE_INSIDE && leftOut(relative(rb.path, ra.path), filters.target)
    if (byPath !== undefined && !targetLeftOut && !sourceLeftOut) throw overlapError(source, target, byPath, names)
    // QA 22 #2: `mount --bind data/photos view`, then `sync view data` deleted the source itself.
    // Asked of a target left out too: inside by its path, it may still be the source, or hold it,
    // through a bind mount (`mount --rbind proj proj/.backup`: a mirror --delete-excluded then
    // deleted the source's excluded files).
    const [ia, ib] = await localIdentities([ra, rb])
    const sourceAt = sourceLeftOut ? relative(rb.path, ra.path).split(sep).join('/') : undefined
    const byIdentity =
      ia !== undefined && ib !== undefined ? identityOverlap(ia, ib, targetLeftOut, sourceAt) : undefined
    if (byIdentity !== undefined) throw overlapError(source, target, byIdentity, names)
    return
  } else if (src === undefined && dst === undefined && schemeOf(source) === schemeOf(target)) {
    a = trimmed(source)
    b = trimmed(target)
    within = withinUri
  } else {
    return
  }
  const overlap = overlapOf(a, b, within)
  if (overlap === undefined || uriLeftOut(overlap, a, b, filters)) return
  throw overlapError(source, target, overlap, names)
}

/**
 * What keeps one location out of the other's listing, for assertNoOverlap: each is given only where
 * that listing's filters protect what they leave out.
 */
export interface OverlapFilters {
  /** The filters of the source's listing: a target inside the source that they leave out is never copied into itself. */
  readonly source?: PathFilter | undefined
  /**
   * The filters of the target's listing, only when the run keeps what they exclude (no
   * --delete-excluded): a source inside the target that they leave out is never deleted or written.
   */
  readonly target?: PathFilter | undefined
}

/**
 * As for local paths: a target URI inside the source URI (`s3://b/p` and `s3://b/p/.bak`) that the
 * source's filters leave out of its listing, or a source inside the target left out of the target's.
 */
function uriLeftOut(overlap: string, source: string, target: string, filters: OverlapFilters): boolean {
  if (overlap === TARGET_INSIDE) return leftOut(target.slice(source.length + 1), filters.source, '/')
  if (overlap === SOURCE_INSIDE) return leftOut(source.slice(target.length + 1), filters.target, '/')
  return false
}

/**
 * What an overlap error calls the two locations compared, and what it suggests, for a pair other
 * than the source and the target (`--backup-dir` against each side). [source, target]
 */
export interface OverlapNames {
  readonly source: string
  readonly target: string
  readonly hint: string
}

/** A local root as identityOverlap compares it, whatever name leads to it. */
export interface LocalIdentity {
  /** Device and inode of the root (or, while it does not exist, its nearest existing ancestor) and of each directory above it. */
  readonly chain: DirectoryChain
  /** Where the root lies in its filesystem, through whatever mount leads there; undefined without mountinfo. */
  readonly place?: FilesystemPlace
  /** What a walk of the root reaches: its own place, and the root of each mount below it. */
  readonly reaches: readonly FilesystemPlace[]
}

/**
 * One root being the other or inside it, by identity rather than by name: by device and inode (the
 * root against the other and each directory above the other), and by where each lies in its
 * filesystem (/proc/self/mountinfo), which is what finds a root reached through a bind mount of a
 * directory inside the other (`..` of a mount's root is the mount point's parent, so no chain of
 * names or inodes leads from it to the other). Undefined when neither says they overlap.
 */
export function identityOverlap(
  source: LocalIdentity,
  target: LocalIdentity,
  /** The target is inside the source by its path, and left out of its listing: only the rest is asked. */
  targetInsideAllowed = false,
  /**
   * The source's real path inside the target's (posix), when the target's listing leaves it out: a
   * source found inside the target only there, and nowhere else a walk of the target reaches, passes.
   */
  sourceInsideAt?: string,
): string | undefined {
  const [s, t] = [source.chain, target.chain]
  const samePlace =
    source.place !== undefined &&
    target.place !== undefined &&
    source.place.device === target.place.device &&
    source.place.path === target.place.path
  if ((s.exists && t.exists && s.ids[0] === t.ids[0]) || samePlace) return 'are the same location'
  const reached = (inner: LocalIdentity, outer: LocalIdentity): boolean =>
    (outer.chain.exists && inner.chain.ids.includes(outer.chain.ids[0] as string)) ||
    (inner.place !== undefined && outer.reaches.some((p) => placeWithin(inner.place as FilesystemPlace, p)))
  if (!targetInsideAllowed && reached(target, source)) return TARGET_INSIDE
  if (reached(source, target) && !(sourceInsideAt !== undefined && onlyAt(source, target, sourceInsideAt))) {
    return SOURCE_INSIDE
  }
  return undefined
}

/**
 * True when `inner` lies in `outer`'s filesystem right where its path says (`rel` below it), and no
 * mount below `outer` leads into it or out of it: then the filters that leave `rel` out of a walk of
 * `outer` keep the walk out of `inner`. A bind mount at `rel` (of a directory the walk does enter),
 * or one elsewhere in `outer` of a directory inside `inner`, fails it. Without mountinfo only the
 * path is known, and it says `rel`.
 */
function onlyAt(inner: LocalIdentity, outer: LocalIdentity, rel: string): boolean {
  const [i, o] = [inner.place, outer.place]
  if (i === undefined || o === undefined) return true
  if (i.device !== o.device || i.path !== posix.join(o.path, rel)) return false
  return !outer.reaches.some(
    (p) => !(p.device === o.device && p.path === o.path) && (placeWithin(i, p) || placeWithin(p, i)),
  )
}

/** True when the filesystem place `inner` is `outer` or below it. */
function placeWithin(inner: FilesystemPlace, outer: FilesystemPlace): boolean {
  if (inner.device !== outer.device) return false
  const rel = posix.relative(outer.path, inner.path)
  return rel === '' || (!posix.isAbsolute(rel) && rel !== '..' && !rel.startsWith('../'))
}

/**
 * The identities of two local roots (as existingRealPath resolved them), or undefined for both when
 * either cannot be stat'ed: the run's own errors say why, and a guess could refuse a job that is fine.
 */
async function localIdentities(
  roots: readonly [{ path: string; missing: number }, { path: string; missing: number }],
): Promise<[LocalIdentity, LocalIdentity] | [undefined, undefined]> {
  const { directoryChain, placeOf, placesReachedFrom, readMounts } = await import('@syncflow/backend-local')
  const existing = roots.map(({ path, missing }) => {
    let dir = path
    for (let i = 0; i < missing; i++) dir = dirname(dir)
    return dir
  })
  const stats = await Promise.all(existing.map((dir) => stat(dir).catch(() => undefined)))
  if (stats.some((st) => st === undefined)) return [undefined, undefined]
  const mounts: MountEntry[] | undefined = await readMounts()
  const identity = async (real: string): Promise<LocalIdentity> => {
    const place = mounts && placeOf(real, mounts)
    return {
      chain: await directoryChain(real),
      ...(place !== undefined ? { place } : {}),
      reaches: mounts ? placesReachedFrom(real, mounts) : [],
    }
  }
  return Promise.all([identity(roots[0].path), identity(roots[1].path)])
}

/** True when the URI `inner` is `outer` or below it (both without trailing slashes). */
function withinUri(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(`${outer}/`)
}

const TARGET_INSIDE = 'overlap: the target is inside the source'
const SOURCE_INSIDE = 'overlap: the source is inside the target'

/**
 * True when the listing of the source never enters `rel` (the target's path inside it): the
 * filters prune it or a directory above it (`PathFilter.canPrune`: nothing below can be included).
 */
function leftOut(rel: string, filter: PathFilter | undefined, separator: string = sep): boolean {
  if (filter === undefined || filter.empty) return false
  const segments = rel.split(separator)
  for (let i = 1; i <= segments.length; i++) {
    const dir = toRelPath(segments.slice(0, i).join('/'))
    if (dir !== undefined && filter.canPrune(dir)) return true
  }
  return false
}

function overlapOf(a: string, b: string, within: (inner: string, outer: string) => boolean): string | undefined {
  return a === b ? 'are the same location' : within(b, a) ? TARGET_INSIDE : within(a, b) ? SOURCE_INSIDE : undefined
}

function overlapError(source: string, target: string, overlap: string, names?: OverlapNames): SyncError {
  if (names !== undefined) {
    const said = overlap
      .replaceAll('the target', '\0T')
      .replaceAll('the source', theSide(names.source))
      .replaceAll('\0T', theSide(names.target))
    return new SyncError(
      'USAGE',
      `${names.source} ${JSON.stringify(source)} and ${names.target} ${JSON.stringify(target)} ${said}`,
      { hint: names.hint },
    )
  }
  return new SyncError('USAGE', `source ${JSON.stringify(source)} and target ${JSON.stringify(target)} ${overlap}`, {
    hint: overlap.startsWith(TARGET_INSIDE)
      ? 'Choose a target outside the source that does not contain it either, or leave the target out of the source with --exclude /PATH (its path inside the source).'
      : overlap.startsWith(SOURCE_INSIDE)
        ? 'Choose a target outside the source that does not contain it either, or leave the source out of the target with --exclude /PATH (its path inside the target; not with --delete-excluded).'
        : 'Choose a target outside the source that does not contain it either.',
  })
}

/**
 * The path on this host of the directory a chain names (ids from the root up to `/`), found from
 * `/` down by the inode at each level; undefined where one is not found (a chain of another host,
 * or another mount namespace). One readdir a level: asked only of a server's nesting the filters allow.
 */
async function pathOfChain(chain: DirectoryChain): Promise<string | undefined> {
  const { machineId } = await import('@syncflow/backend-local')
  const ids = [...chain.ids].reverse()
  const here = `${machineId()}:`
  if (ids.length === 0 || !ids.every((id) => id.startsWith(here))) return undefined
  const idOf = async (path: string) => {
    const st = await lstat(path).catch(() => undefined)
    return st?.isDirectory() ? `${here}${st.dev}:${st.ino}` : undefined
  }
  let path: string = sep
  if ((await idOf(path)) !== ids[0]) return undefined
  for (const id of ids.slice(1)) {
    const names = await readdir(path).catch(() => [] as string[])
    let found: string | undefined
    for (const name of names) {
      if ((await idOf(join(path, name))) === id) {
        found = join(path, name)
        break
      }
    }
    if (found === undefined) return undefined
    path = found
  }
  return path
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
  names?: OverlapNames,
  /** What keeps one side out of the other's listing, as for assertNoOverlap. */
  filters: OverlapFilters = {},
): Promise<void> {
  // Two local paths were compared by real path already; a chain adds something only with a server.
  if (localPathOf(source) !== undefined && localPathOf(target) !== undefined) return
  // Two spellings of one location (a plugin's `flat:///tmp/x` and `flat://x` run from /tmp, QA 19
  // #1): each backend's `uri` is its location normalized, so the spellings meet there.
  const [su, tu] = [backends.source.uri, backends.target.uri]
  // The one nesting the filters allowed by name: the chains below would find it again.
  let allowed: string | undefined
  if (schemeOf(su) === schemeOf(tu)) {
    const byUri = overlapOf(trimmed(su), trimmed(tu), withinUri)
    if (byUri !== undefined && uriLeftOut(byUri, trimmed(su), trimmed(tu), filters)) allowed = byUri
    else if (byUri !== undefined) throw overlapError(source, target, `${byUri} (${su} and ${tu})`, names)
  }
  const [a, b] = await Promise.all([chainOf(source, backends.source), chainOf(target, backends.target)])
  if (a === undefined || b === undefined) return
  if (allowed === SOURCE_INSIDE && a.exists && b.exists) {
    // A source left out of the target by name on a server on this host may still be reached by the
    // target's listing through a bind mount there (p/data mounted at p/.old: a mirror deleted the
    // source as the target's data/). Found on this host's disk by its chain of inodes, it is asked
    // as a local pair is (mountinfo); one not found here (another mount namespace) as before.
    const [pa, pb] = await Promise.all([pathOfChain(a), pathOfChain(b)])
    if (pa !== undefined && pb !== undefined) {
      const reached = await assertNoOverlap(pa, pb, filters).then(
        () => undefined,
        (err: unknown) => err,
      )
      if (reached !== undefined) throw overlapError(source, target, `${SOURCE_INSIDE} (on this host)`, names)
    }
  }
  const overlap =
    a.exists && b.exists && a.ids[0] === b.ids[0]
      ? 'are the same directory (on this host)'
      : b.exists && a.ids.includes(b.ids[0] as string) && allowed !== SOURCE_INSIDE
        ? `${SOURCE_INSIDE} (on this host)`
        : a.exists && b.ids.includes(a.ids[0] as string) && allowed !== TARGET_INSIDE
          ? `${TARGET_INSIDE} (on this host)`
          : undefined
  if (overlap !== undefined) throw overlapError(source, target, overlap, names)
}
