import { Observable } from 'rxjs'
import { asSyncError } from '../errors/sync-error.js'
import { compareEntries, type Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { Backlog } from '../util/backlog.js'

/** Which listing of a run: the source's or the target's. */
export type ListingSide = 'source' | 'target'

const failedSides = new WeakMap<object, ListingSide>()

/**
 * Says that `err` is a failure of `side`'s listing (one found before `diff` ran: the engine's check
 * that the source root exists), for `failedListingSide`. Returns `err`.
 */
export function markListingSide<E>(err: E, side: ListingSide): E {
  if (typeof err === 'object' && err !== null) failedSides.set(err, side)
  return err
}

/** The side whose listing threw `err`, when `diff` failed with it (or `markListingSide` said it). */
export function failedListingSide(err: unknown): ListingSide | undefined {
  return typeof err === 'object' && err !== null ? failedSides.get(err) : undefined
}

/** The two sides of one path, as listed (either may be absent). */
export interface EntryPair {
  readonly path: RelPath
  readonly source?: Entry
  readonly target?: Entry
}

/** Options of `diff`. */
export interface DiffOptions {
  /** Waits for room before emitting each pair (memory stays flat); release a slot per pair downstream. */
  readonly backlog?: Backlog
  readonly signal?: AbortSignal
  /**
   * Called with each entry of the source (`admitTarget`: of the target) in turn; false skips it.
   * The engine passes `listedEntryCheck` here rather than wrapping each listing in `listSide`. [keep all]
   */
  readonly admitSource?: (entry: Entry) => boolean
  readonly admitTarget?: (entry: Entry) => boolean
  /**
   * Asked of each pair just before it is emitted, once both listings are past its path: true leaves
   * it out. For what an entry's own listing cannot know when it is read (a directory the OTHER side
   * marks, `--exclude-if-present`: the other listing may not have reached it yet). [keep all]
   */
  readonly drop?: (pair: EntryPair) => boolean
}

/**
 * Streaming merge-join of two sorted listings into pairs, in listing order. It pulls one entry
 * at a time from each side, so memory is O(1) in the number of files whatever the sizes of the
 * trees. Both listings must be in `compareEntries` order (use `listSide`). A directory and a file
 * of the same name have different sort keys and so come out as two one-sided pairs.
 */
export function diff(
  source: AsyncIterable<Entry>,
  target: AsyncIterable<Entry>,
  opts: DiffOptions = {},
): Observable<EntryPair> {
  return new Observable<EntryPair>((subscriber) => {
    let stopped = false
    const src = source[Symbol.asyncIterator]()
    const dst = target[Symbol.asyncIterator]()
    // Entries a side's admit check refuses are skipped right here: no extra async step per entry.
    const admitS = opts.admitSource ?? (() => true)
    const admitT = opts.admitTarget ?? (() => true)
    const drop = opts.drop
    const emit = (pair: EntryPair): void => {
      if (drop?.(pair)) opts.backlog?.release()
      else subscriber.next(pair)
    }
    // The side whose listing failed, for the failure to say which (a plugin's error names only the
    // plugin, which may be either side: QA 7 #12). try/catch costs nothing until something throws.
    let side: ListingSide = 'source'
    const run = async (): Promise<void> => {
      let s = await src.next()
      while (!s.done && !admitS(s.value)) s = await src.next()
      side = 'target'
      let t = await dst.next()
      while (!t.done && !admitT(t.value)) t = await dst.next()
      while (!stopped && !(s.done && t.done)) {
        if (opts.signal?.aborted) break
        const wait = opts.backlog?.take()
        if (wait) await wait
        if (stopped || opts.signal?.aborted) break
        const order = s.done ? 1 : t.done ? -1 : compareEntries(s.value, t.value)
        if (order < 0 && !s.done) {
          emit({ path: s.value.path, source: s.value })
          side = 'source'
          do s = await src.next()
          while (!s.done && !admitS(s.value))
        } else if (order > 0 && !t.done) {
          emit({ path: t.value.path, target: t.value })
          side = 'target'
          do t = await dst.next()
          while (!t.done && !admitT(t.value))
        } else if (!s.done && !t.done) {
          emit({ path: s.value.path, source: s.value, target: t.value })
          const both = [src.next(), dst.next()] as const
          try {
            ;[s, t] = await Promise.all(both)
          } catch (err) {
            // Which of the two: asked only once one failed.
            const [a] = await Promise.allSettled(both)
            side = a.status === 'rejected' && a.reason === err ? 'source' : 'target'
            throw err
          }
          side = 'source'
          while (!s.done && !admitS(s.value)) s = await src.next()
          side = 'target'
          while (!t.done && !admitT(t.value)) t = await dst.next()
        }
      }
      subscriber.complete()
    }
    run().catch((err: unknown) => {
      const error = asSyncError(err, 'list')
      failedSides.set(error, side)
      subscriber.error(error)
    })
    return () => {
      stopped = true
      // Close both generators so backends release directory handles and sockets.
      void src.return?.(undefined)?.catch(() => {})
      void dst.return?.(undefined)?.catch(() => {})
    }
  })
}
