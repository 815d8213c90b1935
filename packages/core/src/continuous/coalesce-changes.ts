import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'
import type { Change } from '../model/change.js'
import type { RelPath } from '../model/rel-path.js'

/** Options of `coalesceChanges`. */
export interface CoalesceOptions {
  /** A path is let through once no change for it arrived for this long. [100 ms] */
  readonly debounceMs?: number
  /** …or at the latest this long after its first change, however busy it is. [20 × debounceMs] */
  readonly maxWaitMs?: number
  /** While this many paths are pending (a burst: an archive unpacking, a checkout)… [256] */
  readonly burstSize?: number
  /** …a path changed then is let through after this much quiet instead. [debounceMs / 5] */
  readonly burstDebounceMs?: number
  readonly scheduler?: SchedulerLike
}

/** A rename is a remove of the old path and an upsert of the new one (re-paired later by content). */
function expand(change: Change): Change[] {
  if (change.type !== 'rename') return [change]
  const upsert: Change = { type: 'upsert', path: change.path }
  return change.from === undefined ? [upsert] : [{ type: 'remove', path: change.from }, upsert]
}

/**
 * A path's latest change, and whether it was removed (or renamed away) before it: what stands
 * there now, if anything, was made again, and a directory so replaced must be compared whole (its
 * old contents had no event of their own: QA 12 #3).
 */
export interface CoalescedChange extends Change {
  /** An earlier change in the window removed the path (only on a change that is not a remove itself). */
  readonly removed?: true
}

interface Pending {
  change: CoalescedChange
  /** When it has been quiet long enough (its last change + debounceMs). */
  quietAt: number
  /** When it goes out however busy it is (its first change + maxWaitMs). */
  readonly deadlineAt: number
}

/**
 * Coalesces watcher changes per path (a debounce per path): each path comes out once, with its
 * latest change, after it has been quiet for `debounceMs`, or `maxWaitMs` after its first change
 * (so a file written without pause is still looked at). Paths are independent: a busy path never
 * delays another. Completion flushes pending paths at once. Renames are split into remove + upsert.
 * A path removed, then made again within its window comes out as its latest change marked `removed`.
 *
 * One timer serves every path (due paths go out together, in the order of their first change):
 * a burst of 10,000 new files would otherwise schedule and cancel a timer per event. While
 * `burstSize` paths are pending, paths changed then wait only `burstDebounceMs`: a burst is
 * gathered by the batch that follows, which waits for the burst itself to pause.
 */
export function coalesceChanges(opts: CoalesceOptions = {}): OperatorFunction<Change, CoalescedChange> {
  const { debounceMs = 100, burstSize = 256, scheduler = asyncScheduler } = opts
  const maxWaitMs = opts.maxWaitMs ?? debounceMs * 20
  const burstDebounceMs = opts.burstDebounceMs ?? debounceMs / 5
  return (changes$) =>
    new Observable<CoalescedChange>((subscriber) => {
      const pending = new Map<RelPath, Pending>()
      let timer: Subscription | undefined
      /** When the scheduled tick runs. */
      let tickAt = Number.POSITIVE_INFINITY
      const arm = (at: number): void => {
        if (at >= tickAt) return
        timer?.unsubscribe()
        tickAt = at
        timer = scheduler.schedule(tick, Math.max(0, at - scheduler.now()))
      }
      function tick(): void {
        timer = undefined
        tickAt = Number.POSITIVE_INFINITY
        const now = scheduler.now()
        let next = Number.POSITIVE_INFINITY
        for (const [path, p] of pending) {
          const due = Math.min(p.quietAt, p.deadlineAt)
          if (due <= now) {
            pending.delete(path)
            subscriber.next(p.change)
          } else if (due < next) {
            next = due
          }
        }
        if (next !== Number.POSITIVE_INFINITY) arm(next)
      }
      const sub = changes$.subscribe({
        next(change) {
          const now = scheduler.now()
          // In a burst the batch downstream waits for the burst to pause anyway (batchChanges): a
          // full debounce per path on top of it only delayed the cycle (~0.1 s of a 10,000-file tar).
          const wait = pending.size >= burstSize ? burstDebounceMs : debounceMs
          for (const c of expand(change)) {
            const p = pending.get(c.path)
            if (p) {
              p.change =
                c.type !== 'remove' && (p.change.type === 'remove' || p.change.removed) ? { ...c, removed: true } : c
              p.quietAt = now + wait
              if (wait < debounceMs) arm(Math.min(p.quietAt, p.deadlineAt))
            } else {
              pending.set(c.path, { change: c, quietAt: now + wait, deadlineAt: now + maxWaitMs })
              arm(now + Math.min(wait, maxWaitMs))
            }
          }
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          timer?.unsubscribe()
          for (const p of pending.values()) subscriber.next(p.change)
          pending.clear()
          subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        timer?.unsubscribe()
        pending.clear()
      }
    })
}
