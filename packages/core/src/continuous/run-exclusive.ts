import { Observable, type OperatorFunction, type Subscription } from 'rxjs'

/**
 * Runs one unit of work at a time: an item arriving while a run is busy is merged (`merge`) into
 * a pending item, which runs when the busy one completes. So work that piles up during a long
 * cycle becomes one bigger cycle, never a queue of small ones, and two cycles never touch the
 * target at once. `merge` may refuse (`undefined`: items that must run apart, as a continuous job's
 * busy files, whose failure would hold back the others' deletes): the item then waits as one more
 * pending item, which the next items are merged into where they can be, so the pending items are
 * at most as many as the kinds that never merge. Pending items run in the order they began.
 * Completes once the source has completed and nothing is running or pending.
 */
export function runExclusive<T, R>(
  run: (item: T) => Observable<R>,
  merge: (pending: T, next: T) => T | undefined,
): OperatorFunction<T, R> {
  return (source$) =>
    new Observable<R>((subscriber) => {
      let busy = false
      let ended = false
      const pending: T[] = []
      let current: Subscription | undefined
      const start = (item: T): void => {
        busy = true
        current = run(item).subscribe({
          next: (value) => subscriber.next(value),
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            busy = false
            if (pending.length > 0) start(pending.shift() as T)
            else if (ended) subscriber.complete()
          },
        })
      }
      /** `item` merged into the first pending item that takes it (and the result into the next that does). */
      const hold = (item: T, from = 0): void => {
        for (let i = from; i < pending.length; i++) {
          const merged = merge(pending[i] as T, item)
          if (merged === undefined) continue
          pending.splice(i, 1)
          // In the place of the earlier one; it may now take a later one too (a rescan takes all).
          const later = pending.splice(i)
          pending.push(merged)
          for (const p of later) hold(p, i)
          return
        }
        pending.push(item)
      }
      const sub = source$.subscribe({
        next(item) {
          if (!busy) start(item)
          else hold(item)
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          ended = true
          if (!busy && pending.length === 0) subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        current?.unsubscribe()
      }
    })
}
