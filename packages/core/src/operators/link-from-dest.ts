import { type Backend, supports } from '../backend/backend.js'
import { isSyncError } from '../errors/sync-error.js'
import type { Entry, HashAlgo } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { commonHash, hashOf } from './decide.js'

/**
 * rsync's `--link-dest`: directories holding an earlier copy of the tree (the last snapshot), from
 * which a file the target lacks is hard-linked when one of them holds it unchanged.
 */
export interface LinkDest {
  /** Tried in order (rsync allows several: the first that holds the file unchanged is linked from). */
  readonly backends: readonly Backend[]
  /** Mtimes this close are the same (the run's `--modify-window`). */
  readonly modifyWindowMs: number
  /** `--checksum`: the content must match too (by a hash both offer; none: never linked). [false] */
  readonly checksum?: boolean
}

/**
 * Makes `path` on `target` a hard link to the same file of a `linkDest` directory that holds it as
 * the source has it: a file of the same size, mtime and permissions (under `checksum`, the same
 * hash), and the owner a copy would give it (the target checks: `ownerOf`), as rsync links it. Returns the target's entry, or `undefined` when none does or no link
 * can be made (another file system, a target that is not local): the caller then copies. The
 * target must still lack the file (`expect: null`, as the copy would): a file put there since it
 * was planned is never replaced. Safe for the directory linked from: the engine never writes a
 * file in place, and refuses to chmod or touch one other names share (it rewrites it instead).
 */
export async function linkFromDest(
  target: Backend,
  source: Backend,
  src: Entry,
  path: RelPath,
  dest: LinkDest,
  signal?: AbortSignal,
): Promise<Entry | undefined> {
  if (src.kind !== 'file' || !supports.linkFrom(target)) return undefined
  for await (const { from, held } of unchangedIn(source, src, path, dest, signal)) {
    try {
      const linked = await target.linkFrom(from, path, path, {
        expect: held,
        targetExpect: null,
        ownerOf: { backend: source, path },
      })
      if (linked !== undefined) return linked
    } catch (err) {
      // The copy in the other directory changed since its stat (CONFLICT), or could not be linked
      // for a reason of its own (its permissions): the next directory, or a copy, makes the file.
      // What is wrong with the target itself fails the copy that follows, said as its own.
      if (!isSyncError(err) || err.code === 'ABORTED') throw err
    }
  }
  return undefined
}

/**
 * What a dry run says of a new file: whether one of `dest`'s directories holds it unchanged, so that
 * the real run would link it rather than copy it (as `rsync -n --link-dest` tells). Nothing is
 * linked; the owner, which the target checks only as it links, is not compared (a file of another
 * owner is copied by the real run where a dry run said linked).
 */
export async function wouldLinkFromDest(
  target: Backend,
  source: Backend,
  src: Entry,
  path: RelPath,
  dest: LinkDest,
  signal?: AbortSignal,
): Promise<boolean> {
  if (src.kind !== 'file' || !supports.linkFrom(target)) return false
  for await (const _ of unchangedIn(source, src, path, dest, signal)) return true
  return false
}

/** The copies of `path` that `dest`'s directories hold unchanged, in their order. */
async function* unchangedIn(
  source: Backend,
  src: Entry,
  path: RelPath,
  dest: LinkDest,
  signal: AbortSignal | undefined,
): AsyncGenerator<{ from: Backend; held: Entry }> {
  for (const from of dest.backends) {
    const held = await from.stat(path).catch(() => undefined)
    if (held !== undefined && (await sameFile(src, held, source, from, dest, signal))) yield { from, held }
  }
}

async function sameFile(
  src: Entry,
  held: Entry,
  source: Backend,
  from: Backend,
  dest: LinkDest,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  if (held.kind !== 'file' || held.size !== src.size) return false
  if (Math.abs(held.mtimeMs - src.mtimeMs) > dest.modifyWindowMs) return false
  // The permissions travel with a hard link: a file whose mode differs is copied, as rsync does.
  if (src.mode !== undefined && held.mode !== undefined && (src.mode & 0o7777) !== (held.mode & 0o7777)) return false
  if (dest.checksum !== true) return true
  const algo: HashAlgo | undefined = commonHash(source, from)
  if (algo === undefined) return false
  const [a, b] = await Promise.all([hashOf(source, src, algo, signal), hashOf(from, held, algo, signal)])
  return a !== undefined && a === b
}
