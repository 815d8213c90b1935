import {
  asyncScheduler,
  from,
  mergeMap,
  type Observable,
  type ObservableInput,
  type OperatorFunction,
  of,
  type SchedulerLike,
  timer,
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
  /** Paths checked at once. [64] */
  readonly concurrency?: number
  readonly scheduler?: SchedulerLike
}

/** Same size, same mtime (and same change token where both have one): nothing was written in between. */
function unchanged(a: Entry, b: Entry): boolean {
  if (a.size !== b.size || a.mtimeMs !== b.mtimeMs) return false
  return a.version === undefined || b.version === undefined || a.version === b.version
}

/**
 * Re-stats each changed path and lets it through only once it is stable, so a file still being
 * written is never shipped half-written: a file whose mtime is at least `windowMs` old is stable
 * at once (nothing touched it for the window); otherwise it is stated again after `windowMs` until
 * two stats agree on size and mtime. Gone paths, directories and symlinks pass at once.
 */
export function awaitStable(opts: AwaitStableOptions): OperatorFunction<CoalescedChange, ObservedChange> {
  const { stat, windowMs = 100, concurrency = 64, scheduler = asyncScheduler } = opts
  const check = (path: RelPath, previous: Entry | undefined, removed: boolean): Observable<ObservedChange> =>
    from(stat(path)).pipe(
      mergeMap((entry) => {
        const settled =
          entry === undefined ||
          entry.kind !== 'file' ||
          (previous !== undefined && unchanged(previous, entry)) ||
          (previous === undefined && scheduler.now() - entry.mtimeMs >= windowMs)
        if (settled) return of<ObservedChange>(removed ? { path, entry, removed } : { path, entry })
        return timer(windowMs, scheduler).pipe(mergeMap(() => check(path, entry, removed)))
      }),
    )
  return (changes$) =>
    changes$.pipe(mergeMap((c) => check(c.path, undefined, c.type === 'remove' || c.removed === true), concurrency))
}
