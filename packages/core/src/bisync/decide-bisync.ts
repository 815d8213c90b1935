import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { matchesFingerprint } from '../operators/decide.js'
import type { Fingerprint, StateRecord } from '../state/state-store.js'
import type { BisyncSide } from './conflict-name.js'

/**
 * What two-way sync does with a path changed on both sides (DESIGN §5): `keep-both` (the default)
 * keeps the newer version under the name and the other beside it as a conflict copy, on both
 * sides; the others pick a winner and overwrite the loser, opt-in because the loser's version is
 * then gone: `newer` (the later mtime), `source-wins` (side a), `target-wins` (side b).
 */
export type ConflictPolicy = 'keep-both' | 'newer' | 'source-wins' | 'target-wins'

/** How one side of a path stands against the last run's record of it. */
export type SideChange = 'same' | 'modified' | 'deleted' | 'created' | 'absent'

/**
 * The decision for one path of a two-way run. Directions are by side: `copy` from `from` to the
 * other side (a directory: made there), `delete` on `on`. A `conflict` writes the winner's version
 * under the path on both sides; with `keepLoser` the loser's version is first kept under a
 * conflict name (see `conflictName`) on both sides, else it is overwritten.
 */
export type BisyncDecision =
  | { readonly kind: 'in-sync'; readonly record: boolean; readonly reason: string }
  | { readonly kind: 'forget'; readonly reason: string }
  | {
      readonly kind: 'copy'
      readonly from: BisyncSide
      readonly reason: string
      /**
       * The two versions hold the same bytes (`sameContent`): only `from`'s mtime (and mode) crosses,
       * by a touch, no transfer. Carried rather than only recorded: a later run without
       * `--checksum`, or one whose records are lost, then finds the two equal too.
       */
      readonly touch?: true
    }
  | { readonly kind: 'delete'; readonly on: BisyncSide; readonly reason: string }
  | { readonly kind: 'conflict'; readonly winner: BisyncSide; readonly keepLoser: boolean; readonly reason: string }

/** How `decideBisync` compares. */
export interface BisyncDecideOptions {
  readonly conflict: ConflictPolicy
  /** Mtimes this close are equal (the coarser precision of the two sides, or the user's window). */
  readonly modifyWindowMs: number
  /** Ignore mtimes when telling whether two present versions are equal (`--size-only`). */
  readonly sizeOnly?: boolean
  /**
   * Whether the two present versions hold the same content, where the caller knows better than
   * size and mtime (`--checksum`: a common hash); `undefined` falls back to size and mtime. Given
   * for two files of one size. `true` also settles a path changed on one side only: the other
   * has those bytes already, so only the mtime (and mode) crosses (`touch`).
   */
  readonly sameContent?: boolean
  /**
   * Per side: its listing gives write times, not the mtimes it was given (S3). A version written
   * there after the record is then changed, whatever its fingerprint says (another tool's upload
   * of the same bytes lost the stored mtime), as one-way sync's `recordMatches` does.
   */
  readonly writeTimes?: { readonly a?: boolean; readonly b?: boolean }
}

/** One path of a two-way run: each side's entry as listed now, and the last run's record. */
export interface BisyncPair {
  readonly path: RelPath
  readonly a?: Entry | undefined
  readonly b?: Entry | undefined
  /** The record of the last run that left the path in sync: `source` is side a, `target` side b. */
  readonly prior?: StateRecord | undefined
}

function kindOf(fp: Fingerprint): Entry['kind'] {
  return fp.kind ?? 'file'
}

/** How `e` stands against the side's recorded fingerprint (`fp` undefined: no record). */
export function sideChange(
  fp: Fingerprint | undefined,
  e: Entry | undefined,
  syncedAt: number,
  writeTimes = false,
): SideChange {
  if (fp === undefined) return e === undefined ? 'absent' : 'created'
  if (e === undefined) return 'deleted'
  if (e.kind !== kindOf(fp)) return 'modified'
  // A directory is the same directory whatever its mtime says (its contents are decided apart).
  if (e.kind === 'dir') return 'same'
  if (writeTimes && e.mtimeMs > syncedAt) return 'modified'
  return matchesFingerprint(fp, e) ? 'same' : 'modified'
}

/** True when the two present versions are the same: kind, and for files size and mtime (or content). */
function equalVersions(a: Entry, b: Entry, opts: BisyncDecideOptions): boolean {
  if (a.kind !== b.kind) return false
  if (a.kind === 'dir') return true
  if (a.kind === 'symlink') return a.linkTarget === b.linkTarget
  if (a.size !== b.size) return false
  if (opts.sameContent !== undefined) return opts.sameContent
  return opts.sizeOnly === true || Math.abs(a.mtimeMs - b.mtimeMs) <= opts.modifyWindowMs
}

/** True when two versions of the same content differ in what a touch sets: the mtime, or the mode. */
function metaDiffers(a: Entry, b: Entry, opts: BisyncDecideOptions): boolean {
  if (Math.abs(a.mtimeMs - b.mtimeMs) > opts.modifyWindowMs) return true
  return a.mode !== undefined && b.mode !== undefined && (a.mode & 0o7777) !== (b.mode & 0o7777)
}

/**
 * Two files of the same content (`sameContent`), `from` the side whose mtime stands: in sync,
 * recorded, or a touch of the other where the mtime (or mode) differs.
 */
function sameBytes(a: Entry, b: Entry, from: BisyncSide, opts: BisyncDecideOptions, why: string): BisyncDecision {
  return metaDiffers(a, b, opts)
    ? { kind: 'copy', from, touch: true, reason: `${why}: the same content, ${from.toUpperCase()}'s mtime carried` }
    : { kind: 'in-sync', record: true, reason: `${why}: the same content` }
}

/** The side of the later mtime (beyond the window), A on a tie. */
function newerOf(a: Entry, b: Entry, opts: BisyncDecideOptions): BisyncSide {
  return b.mtimeMs > a.mtimeMs + opts.modifyWindowMs ? 'b' : 'a'
}

/** True when the caller compared the two files' bytes and found them equal (`--checksum`). */
function sameFiles(a: Entry | undefined, b: Entry | undefined, opts: BisyncDecideOptions): boolean {
  return opts.sameContent === true && a?.kind === 'file' && b?.kind === 'file' && a.size === b.size
}

/**
 * Who wins a conflict between two different present versions, and whether the loser is kept. A
 * directory always keeps its name against a file or a symlink (replacing it would delete what it
 * holds), and the file is kept as a conflict copy whatever the policy. Ties of mtime go to side a.
 */
function conflictOf(a: Entry, b: Entry, opts: BisyncDecideOptions, why: string): BisyncDecision {
  if ((a.kind === 'dir') !== (b.kind === 'dir')) {
    const winner: BisyncSide = a.kind === 'dir' ? 'a' : 'b'
    return { kind: 'conflict', winner, keepLoser: true, reason: `${why}: a directory on ${winner.toUpperCase()}` }
  }
  const newer = newerOf(a, b, opts)
  switch (opts.conflict) {
    case 'source-wins':
      return { kind: 'conflict', winner: 'a', keepLoser: false, reason: `${why}: A wins (--conflict source-wins)` }
    case 'target-wins':
      return { kind: 'conflict', winner: 'b', keepLoser: false, reason: `${why}: B wins (--conflict target-wins)` }
    case 'newer':
      return {
        kind: 'conflict',
        winner: newer,
        keepLoser: false,
        reason: `${why}: the newer, on ${newer.toUpperCase()}, wins (--conflict newer)`,
      }
    default:
      return { kind: 'conflict', winner: newer, keepLoser: true, reason: `${why}: both kept` }
  }
}

/**
 * Decides one path of a two-way sync from both sides as listed now and the record of the last run
 * that left it in sync (DESIGN §5). A side that changed since that record is carried to the other;
 * a path changed on both sides is a conflict unless both are now the same; a version is never
 * lost unless a policy other than `keep-both` says so: a path changed on one side and deleted on
 * the other is restored from the changed side, and with no record at all (a first run, or a path
 * the record does not know) nothing is deleted: what one side has is copied to the other.
 *
 * Pure: no I/O. The caller lists both sides in one order, reads the records in batches, and runs
 * the decisions (copies first, deletes last and only when nothing failed).
 */
export function decideBisync(pair: BisyncPair, opts: BisyncDecideOptions): BisyncDecision {
  const { a, b, prior } = pair
  const syncedAt = prior?.syncedAt ?? 0
  const ca = sideChange(prior?.source, a, syncedAt, opts.writeTimes?.a)
  const cb = sideChange(prior?.target, b, syncedAt, opts.writeTimes?.b)

  if (prior === undefined) {
    if (a === undefined && b === undefined) return { kind: 'forget', reason: 'on neither side' }
    if (b === undefined) return { kind: 'copy', from: 'a', reason: 'new on A' }
    if (a === undefined) return { kind: 'copy', from: 'b', reason: 'new on B' }
    if (sameFiles(a, b, opts)) return sameBytes(a, b, newerOf(a, b, opts), opts, 'on both sides')
    if (equalVersions(a, b, opts)) return { kind: 'in-sync', record: true, reason: 'the same on both sides' }
    return conflictOf(a, b, opts, 'on both sides, not the same, and never synced')
  }

  if (ca === 'same' && cb === 'same') return { kind: 'in-sync', record: false, reason: 'unchanged' }
  if (cb === 'same') {
    if (sameFiles(a, b, opts)) return sameBytes(a!, b!, 'a', opts, 'changed on A')
    return ca === 'deleted'
      ? { kind: 'delete', on: 'b', reason: 'deleted on A' }
      : { kind: 'copy', from: 'a', reason: 'changed on A' }
  }
  if (ca === 'same') {
    if (sameFiles(a, b, opts)) return sameBytes(a!, b!, 'b', opts, 'changed on B')
    return cb === 'deleted'
      ? { kind: 'delete', on: 'a', reason: 'deleted on B' }
      : { kind: 'copy', from: 'b', reason: 'changed on B' }
  }
  // Changed on both sides.
  if (a === undefined && b === undefined) return { kind: 'forget', reason: 'deleted on both sides' }
  if (b === undefined) return { kind: 'copy', from: 'a', reason: 'changed on A, deleted on B: kept' }
  if (a === undefined) return { kind: 'copy', from: 'b', reason: 'changed on B, deleted on A: kept' }
  if (sameFiles(a, b, opts)) return sameBytes(a, b, newerOf(a, b, opts), opts, 'changed alike on both sides')
  if (equalVersions(a, b, opts)) return { kind: 'in-sync', record: true, reason: 'changed alike on both sides' }
  return conflictOf(a, b, opts, 'changed on both sides')
}
