import {
  asyncScheduler,
  EMPTY,
  from,
  map,
  merge,
  mergeMap,
  Observable,
  type ObservableInput,
  type OperatorFunction,
  of,
  type SchedulerLike,
  Subject,
  Subscription,
  tap,
} from 'rxjs'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { CoalescedChange } from './coalesce-changes.js'
import type { ObservedChange } from './observed-change.js'

/** Options of `awaitStable`. */
export interface AwaitStableOptions {
  /** Stats a path on the source (`undefined`: gone); may return a promise or an Observable. */
  readonly stat: (path: RelPath) => ObservableInput<Entry | undefined>
  /** A file is shipped once its size and mtime have not changed for this long. [100 ms] */
  readonly windowMs?: number
  /**
   * A file that has not settled this long after its first look passes all the same (a busy log,
   * appended to without pause, never settles): its copy then takes it as it is when read, or fails
   * as changed while read and is tried again, and is never written half-copied. Twice as long each
   * time it passes so again without having settled in between, up to 32 × this: a large file
   * rewritten without pause (a VM image, a database) is read whole at each pass, and each copy fails
   * (review 35: a 400 MB image, 9 doomed copies in 30 s). [20 × windowMs]
   */
  readonly maxWaitMs?: number
  /** Paths checked at once. [64] */
  readonly concurrency?: number
  readonly scheduler?: SchedulerLike
}

/** Same size, same mtime (and same change token where both have one): nothing was written in between. */
function unchanged(a: Entry, b: Entry): boolean {
  if (a.size !== b.size || a.mtimeMs !== b.mtimeMs) return false
  return a.version === undefined || b.version === undefined || a.version === b.version
}

/** One look at a path: its stat is due (the first, or the next once the window passed). */
interface Look {
  readonly path: RelPath
  /** What the look before saw (undefined: this is the first). */
  readonly previous: Entry | undefined
}

/**
 * Re-stats each changed path and lets it through only once it is stable, so a file still being
 * written is never shipped half-written: a file whose mtime is at least `windowMs` old is stable
 * at once (nothing touched it for the window); otherwise it is stated again after `windowMs` until
 * two stats agree on size and mtime, or `maxWaitMs` after its first look (a file that is never
 * quiet, a busy log, is still synced: see `maxWaitMs`). Gone paths, directories and symlinks pass at once.
 *
 * `concurrency` bounds the stats running at once, not the paths waiting between two looks: a
 * file written without pause (a busy log) never settles, and while its wait held one of the slots,
 * 64 such files stopped every other change of the source from being synced until they paused
 * (QA 28d). A path changed again while its check is under way joins that check (one check per
 * path), so a file that never settles is stated once per window, however often it is reported.
 */
export function awaitStable(opts: AwaitStableOptions): OperatorFunction<CoalescedChange, ObservedChange> {
  const { stat, windowMs = 100, concurrency = 64, scheduler = asyncScheduler } = opts
  const maxWaitMs = opts.maxWaitMs ?? windowMs * 20
  return (changes$) =>
    new Observable<ObservedChange>((subscriber) => {
      /**
       * Paths whose check is under way: whether a change reported each removed, whether its stat
       * is running, and whether it was reported again while it ran (see `next` below).
       */
      const checking = new Map<
        RelPath,
        { removed: boolean; since: number; stating?: boolean; changedWhileStated?: boolean }
      >()
      /** Paths that passed busy, and how many times in a row: each waits twice as long as the last (see maxWaitMs). */
      const busyPasses = new Map<RelPath, number>()
      const looks$ = new Subject<Look>()
      const waits = new Subscription()
      let changesEnded = false
      const endIfDone = (): void => {
        if (changesEnded && checking.size === 0) subscriber.complete()
      }
      const fromChanges$ = changes$.pipe(
        mergeMap((c): Observable<Look> => {
          const removed = c.type === 'remove' || c.removed === true
          const under = checking.get(c.path)
          if (under !== undefined) {
            under.removed ||= removed
            if (under.stating === true) under.changedWhileStated = true
            return EMPTY
          }
          checking.set(c.path, { removed, since: scheduler.now() })
          return of({ path: c.path, previous: undefined })
        }),
        tap({
          complete: () => {
            changesEnded = true
            endIfDone()
          },
        }),
      )
      const looked$ = merge(fromChanges$, looks$).pipe(
        mergeMap((look) => {
          const state = checking.get(look.path)
          if (state !== undefined) {
            state.stating = true
            state.changedWhileStated = false
          }
          return from(stat(look.path)).pipe(map((entry) => ({ look, entry })))
        }, concurrency),
      )
      const sub = looked$.subscribe({
        next({ look, entry }) {
          const { path, previous } = look
          const state = checking.get(path)
          if (state !== undefined) state.stating = false
          // Reported again while this stat ran: what it saw may be from before that write, and a
          // result from it would be the path's last (the report joined this check). Looked at
          // afresh, as a new report is; else the write went unsynced until the next rescan.
          if (state?.changedWhileStated === true) {
            looks$.next({ path, previous: undefined })
            return
          }
          const settled =
            entry === undefined ||
            entry.kind !== 'file' ||
            (previous !== undefined && unchanged(previous, entry)) ||
            (previous === undefined && scheduler.now() - entry.mtimeMs >= windowMs)
          // QA 35 #2: a log appended to every 20 ms was waited for all day, its copy in the
          // target left at what it held when the watch started.
          const passes = busyPasses.get(path) ?? 0
          const waitMs = maxWaitMs * 2 ** Math.min(passes, 5)
          const busy = !settled && state !== undefined && scheduler.now() - state.since >= waitMs
          if (!settled && !busy) {
            // Each wait is dropped once over.
            const wait: Subscription = scheduler.schedule(() => {
              waits.remove(wait)
              looks$.next({ path, previous: entry })
            }, windowMs)
            waits.add(wait)
            return
          }
          const removed = checking.get(path)?.removed === true
          checking.delete(path)
          if (busy) busyPasses.set(path, passes + 1)
          else busyPasses.delete(path)
          subscriber.next({
            path,
            entry,
            ...(removed ? { removed: true as const } : {}),
            ...(busy ? { busy: true as const } : {}),
          })
          endIfDone()
        },
        error(err) {
          subscriber.error(err)
        },
      })
      return () => {
        sub.unsubscribe()
        waits.unsubscribe()
        checking.clear()
        busyPasses.clear()
      }
    })
}
