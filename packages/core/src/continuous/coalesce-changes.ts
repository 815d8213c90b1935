import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
import type { Change } from '../model/change.js'
import type { RelPath } from '../model/rel-path.js'

/** Options of `coalesceChanges`. */
export interface CoalesceOptions {
  /** A path is let through once no change for it arrived for this long. [100 ms] */
  readonly debounceMs?: number
  /** …or at the latest this long after its first change, however busy it is. [20 × debounceMs] */
  readonly maxWaitMs?: number
  readonly scheduler?: SchedulerLike
}

/** A rename is a remove of the old path and an upsert of the new one (re-paired later by content). */
function expand(change: Change): Change[] {
  if (change.type !== 'rename') return [change]
  const upsert: Change = { type: 'upsert', path: change.path }
  return change.from === undefined ? [upsert] : [{ type: 'remove', path: change.from }, upsert]
}

interface Pending {
  change: Change
  quiet: Subscription
  readonly deadline: Subscription
}

/**
 * Coalesces watcher changes per path (a debounce per path): each path comes out once, with its
 * latest change, after it has been quiet for `debounceMs`, or `maxWaitMs` after its first change
 * (so a file written without pause is still looked at). Paths are independent: a busy path never
 * delays another. Completion flushes pending paths at once. Renames are split into remove + upsert.
 */
export function coalesceChanges(opts: CoalesceOptions = {}): OperatorFunction<Change, Change> {
  const { debounceMs = 100, scheduler = asyncScheduler } = opts
  const maxWaitMs = opts.maxWaitMs ?? debounceMs * 20
  return (changes$) =>
    new Observable<Change>((subscriber) => {
      const pending = new Map<RelPath, Pending>()
      const release = (path: RelPath): void => {
        const p = pending.get(path)
        if (!p) return
        pending.delete(path)
        p.quiet.unsubscribe()
        p.deadline.unsubscribe()
        subscriber.next(p.change)
      }
      const sub = changes$.subscribe({
        next(change) {
          for (const c of expand(change)) {
            const p = pending.get(c.path)
            if (p) {
              p.change = c
              p.quiet.unsubscribe()
              p.quiet = scheduler.schedule(() => release(c.path), debounceMs)
            } else {
              pending.set(c.path, {
                change: c,
                quiet: scheduler.schedule(() => release(c.path), debounceMs),
                deadline: scheduler.schedule(() => release(c.path), maxWaitMs),
              })
            }
          }
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          for (const path of [...pending.keys()]) release(path)
          subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        for (const p of pending.values()) {
          p.quiet.unsubscribe()
          p.deadline.unsubscribe()
        }
        pending.clear()
      }
    })
}
