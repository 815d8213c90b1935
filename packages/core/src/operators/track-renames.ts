import { Observable, type OperatorFunction } from 'rxjs'
import type { Backend } from '../backend/backend.js'
import { digestOf } from '../continuous/find-moves.js'
import { type Action, SAME_CONTENT } from '../model/action.js'
import type { Entry, HashAlgo } from '../model/entry.js'
import { mapConcurrent } from '../util/map-concurrent.js'
import type { PlanOutcome } from './plan.js'

/**
 * Smallest file a one-shot sync pairs as a rename. Below it a copy costs about what proving the two
 * files equal does (a hash of each), and on S3 a PUT of a small object what a server-side copy does.
 */
export const RENAME_MIN_BYTES = 64 * 1024

/**
 * The hash renames are paired by: of those both sides offer, the fastest to compute (SHA-256 and
 * SHA-1 run at ~1.3 GB/s with the CPU's SHA instructions, MD5 at ~0.55 GB/s: measured here), since
 * both files of a candidate pair may have to be read. S3 offers MD5 alone, which its listing gives.
 */
export function renameHash(source: Backend, target: Backend): HashAlgo | undefined {
  const both = (h: HashAlgo) => source.capabilities.hashes.includes(h) && target.capabilities.hashes.includes(h)
  return (['sha256', 'sha1', 'md5'] as const).find(both)
}

/** New files held back at most until the listings end, for deletes still to come (memory bound). */
const MAX_HELD_NEW = 1024

/** New files of a size some held delete has, held at most (beyond, they are copied as they come). */
const MAX_HELD_SIZED = 16_384

/** Options of `trackRenames`. */
export interface TrackRenamesOptions {
  readonly source: Backend
  readonly target: Backend
  /** The hash both sides offer: a pair is made only when the two files' hashes are equal. */
  readonly hashAlgo: HashAlgo
  /** Smallest file paired. [RENAME_MIN_BYTES] */
  readonly minBytes?: number
  /** New files held back, waiting for a delete of their size, beyond those that have one. [1024] */
  readonly maxHeldNew?: number
  /** Hashes at once. [8] */
  readonly concurrency?: number
  readonly signal?: AbortSignal
  /**
   * Asked once every window is in: false (a listing error, a failed decision) pairs nothing, so
   * that a file the source may still hold in what could not be listed is not moved away.
   */
  readonly mayPair: () => boolean
  /** Each outcome taken out of the stream until the listings end (the engine frees its backlog slot). */
  readonly onHold: (outcome: PlanOutcome) => void
}

interface Held {
  readonly outcome: PlanOutcome
  readonly action: Action
  readonly entry: Entry
  /** A delete that must stay one (see `trackRenames`). */
  unpairable?: true
}

/**
 * Pairs a mirror's deletes with its new files of the same content (rclone's `--track-renames`), so
 * a renamed or moved file costs a `move` on the target (a rename; a server-side copy on S3) instead
 * of its whole bytes again and a delete. Outcomes in, outcomes out: a new file paired becomes a
 * `move` from the deleted path, and the paired delete a `none` (the target's file is still counted).
 *
 * The listings are sorted, so a file renamed to a name that sorts after the old one has its delete
 * first, and one renamed to an earlier name its new file first: both are held until every window
 * is in (deletes are run last anyway), new files only while fewer than `maxHeldNew` wait without a
 * delete of their size. Files are paired only when their sizes match and so do their hashes (a
 * listed hash, as S3's ETag, or one computed: a local file is read), never by size and mtime alone:
 * two files of one size and mtime may differ. Modes must agree where both sides keep them.
 */
export function trackRenames(opts: TrackRenamesOptions): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  const minBytes = opts.minBytes ?? RENAME_MIN_BYTES
  const maxHeldNew = opts.maxHeldNew ?? MAX_HELD_NEW
  const candidate = (e: Entry | undefined): e is Entry => e?.kind === 'file' && e.size >= minBytes
  return (windows$) =>
    new Observable<PlanOutcome[]>((subscriber) => {
      const deletes = new Map<number, Held[]>()
      /** Held deletes by path: one whose path the source now has as a directory is not paired. */
      const deleteAt = new Map<string, Held>()
      const news: Held[] = []
      let heldNew = 0
      let heldSized = 0
      const hold = (list: Held[], held: Held): void => {
        list.push(held)
        opts.onHold(held.outcome)
      }
      // What was held goes on as planned (the new files copied; the deletes to the guard, which
      // holds them back after such an error), then the error.
      const fail = (err: unknown): void => {
        const held = unpaired(news, deletes)
        if (held.length > 0) subscriber.next(held)
        subscriber.error(err)
      }
      const sub = windows$.subscribe({
        next(window) {
          const out: PlanOutcome[] = []
          for (const outcome of window) {
            // A file deleted where the source has a directory now (`mv data data.old; mkdir data`):
            // the directory and what it holds are written while the listing goes on, and need the
            // file gone by then, as its delete (run with the others) has it; moved at the end, it
            // stood in their way and failed them (review of stop 40). Its directory sorts after it.
            if (outcome.pair.source?.kind === 'dir' && deleteAt.has(outcome.pair.path)) {
              deleteAt.get(outcome.pair.path)!.unpairable = true
            }
            const d = outcome.decision
            if (d.kind === 'action') {
              const action = d.action
              if (action.kind === 'delete' && candidate(action.target)) {
                const list = deletes.get(action.target.size) ?? []
                if (list.length === 0) deletes.set(action.target.size, list)
                const held: Held = { outcome, action, entry: action.target }
                hold(list, held)
                deleteAt.set(action.path, held)
                continue
              }
              if (action.kind === 'copy' && action.target === undefined && candidate(action.source)) {
                // One whose size a delete already has is a likelier rename: held up to a larger bound.
                const waits = !deletes.has(action.source.size)
                if (waits ? heldNew < maxHeldNew : heldSized < MAX_HELD_SIZED) {
                  if (waits) heldNew++
                  else heldSized++
                  hold(news, { outcome, action, entry: action.source })
                  continue
                }
              }
            }
            out.push(outcome)
          }
          if (out.length > 0) subscriber.next(out)
        },
        error: fail,
        complete() {
          pairUp(news, deletes, opts).then((outcomes) => {
            if (outcomes.length > 0) subscriber.next(outcomes)
            subscriber.complete()
          }, fail)
        },
      })
      return () => sub.unsubscribe()
    })
}

/** The held outcomes as they were planned: the new files, then the deletes. */
function unpaired(news: readonly Held[], deletes: Map<number, Held[]>): PlanOutcome[] {
  return [...news, ...[...deletes.values()].flat()].map((h) => h.outcome)
}

/** The held outcomes, pairs made: moves, then the new files and deletes left as they were. */
async function pairUp(
  news: readonly Held[],
  deletes: Map<number, Held[]>,
  opts: TrackRenamesOptions,
): Promise<PlanOutcome[]> {
  if (opts.signal?.aborted || !opts.mayPair()) return unpaired(news, deletes)
  const pairs = await pairByContent(news, [...deletes.values()].flat(), opts)
  const paired = new Set(pairs.values())
  const out: PlanOutcome[] = []
  for (const n of news) {
    const g = pairs.get(n)
    if (g === undefined) {
      out.push(n.outcome)
      continue
    }
    out.push({ pair: n.outcome.pair, decision: { kind: 'action', action: moveOf(g.entry, n.action) } })
    // The target's file is still counted (it was listed), but nothing more is done with it.
    out.push({ pair: g.outcome.pair, decision: { kind: 'none' } })
  }
  for (const list of deletes.values()) for (const g of list) if (!paired.has(g)) out.push(g.outcome)
  return out
}

/** One half of a possible rename: a new file on the source, or a file the target is to delete. */
export interface RenameCandidate {
  /** The source's new file, or the target's file to delete. */
  readonly entry: Entry
  /** A delete that must stay one (its path is written otherwise): never paired. */
  readonly unpairable?: boolean
}

/** How `pairByContent` reads the hashes. */
export interface PairByContentOptions {
  /** Where the new files are. */
  readonly source: Backend
  /** Where the deleted files are, and the moves will be made. */
  readonly target: Backend
  readonly hashAlgo: HashAlgo
  /** Hashes at once. [8] */
  readonly concurrency?: number
  readonly signal?: AbortSignal
}

/**
 * Pairs new files with deleted ones of the same size and hash, each deleted file with one new file
 * at most (in the order of `news`): the map from each new file paired to its deleted file. Every
 * candidate is hashed once, `concurrency` at once: the deleted files first (their hash is often
 * listed or stored, and an S3 object whose MD5 is not known is not downloaded), then only the new
 * files of a size some deleted file has a hash for (a source that would download its file to hash
 * it is not asked to: that costs what the copy does). Only pairs `pairable` allows are made. A
 * stopped run pairs nothing.
 */
export async function pairByContent<N extends RenameCandidate, G extends RenameCandidate>(
  news: readonly N[],
  deleted: readonly G[],
  opts: PairByContentOptions,
): Promise<Map<N, G>> {
  const pairs = new Map<N, G>()
  const { source, target, hashAlgo: algo, signal } = opts
  const concurrency = opts.concurrency ?? 8
  const goneSizes = new Set(deleted.filter((g) => g.unpairable !== true).map((g) => g.entry.size))
  const sized = news.filter((n) => goneSizes.has(n.entry.size))
  if (sized.length === 0 || signal?.aborted) return pairs
  const newSizes = new Set(sized.map((n) => n.entry.size))
  const gone = deleted.filter((g) => g.unpairable !== true && newSizes.has(g.entry.size))
  // (digestOf takes an abort for "no hash": a stopped run hashes nothing more.)
  const hashed = (b: Backend, e: Entry, stored: boolean): Promise<string | undefined> =>
    signal?.aborted ? Promise.resolve(undefined) : digestOf(b, e, algo, signal, stored)
  const goneHashes = await mapConcurrent(gone, concurrency, (g) => hashed(target, g.entry, true))
  if (signal?.aborted) return pairs
  const byContent = new Map<string, G[]>()
  for (const [i, g] of gone.entries()) {
    const h = goneHashes[i]
    if (h === undefined) continue
    const key = `${g.entry.size}:${h}`
    const list = byContent.get(key)
    if (list) list.push(g)
    else byContent.set(key, [g])
  }
  const hashedSizes = new Set(gone.filter((_, i) => goneHashes[i] !== undefined).map((g) => g.entry.size))
  const asked = sized.filter((n) => hashedSizes.has(n.entry.size))
  const sourceStored = source.capabilities.hashReadsContent !== true
  const newHashes = await mapConcurrent(asked, concurrency, (n) => hashed(source, n.entry, sourceStored))
  if (signal?.aborted) return pairs
  for (const [i, n] of asked.entries()) {
    const h = newHashes[i]
    const list = h === undefined ? undefined : byContent.get(`${n.entry.size}:${h}`)
    const at = list?.findIndex((g) => pairable(g.entry, n.entry, target.capabilities.caseSensitive)) ?? -1
    if (list === undefined || at < 0) continue
    pairs.set(n, list.splice(at, 1)[0]!)
  }
  return pairs
}

/**
 * True when the target's file may become the new one by a rename: the same mode where both keep one,
 * neither path below the other (a file `a` renamed to `a/b` needs `a` gone before `a/` is made), and
 * not the same name in another case on a target that does not tell cases apart.
 */
function pairable(from: Entry, to: Entry, caseSensitive: boolean): boolean {
  if (to.path.startsWith(`${from.path}/`) || from.path.startsWith(`${to.path}/`)) return false
  // A new case of the same name (`IMG.JPG` → `img.jpg`) on a target that does not tell cases apart
  // is left to the copy and delete as before: there the two names are one file. Where it does (ext4,
  // S3), a rename as any other: sent again and the old name deleted, a lone photo renamed so tripped
  // bisync's --max-delete 50% (review of bisync).
  if (!caseSensitive && from.path.toLowerCase() === to.path.toLowerCase()) return false
  // (Set-id and sticky bits too: a file made set-uid as it was renamed is copied, with its mode.)
  return from.mode === undefined || to.mode === undefined || (from.mode & 0o7777) === (to.mode & 0o7777)
}

/** The move that replaces the copy `copy` with a rename of the target's `from` (on the side the copy writes). */
export function moveOf(from: Entry, copy: Action): Action {
  return {
    kind: 'move',
    path: copy.path,
    from: from.path,
    ...(copy.source ? { source: copy.source } : {}),
    target: from,
    ...(copy.to ? { to: copy.to } : {}),
    // (Said after the line's `old → new`: the reason is why the old file stands for the new one.)
    reason: SAME_CONTENT,
  }
}
