import { Observable, type OperatorFunction, type Subscription } from 'rxjs'

/**
 * Runs one unit of work at a time: an item arriving while a run is busy is merged (`merge`) into
 * the one pending item, which runs when the busy one completes. So work that piles up during a
 * long cycle becomes one bigger cycle, never a queue of small ones, and two cycles never touch the
 * target at once. Completes once the source has completed and nothing is running or pending.
 */
export function runExclusive<T, R>(
  run: (item: T) => Observable<R>,
  merge: (pending: T, next: T) => T,
): OperatorFunction<T, R> {
  return (source$) =>
    new Observable<R>((subscriber) => {
      let busy = false
      let ended = false
      let pending: { item: T } | undefined
      let current: Subscription | undefined
      const start = (item: T): void => {
        busy = true
        current = run(item).subscribe({
          next: (value) => subscriber.next(value),
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            busy = false
            const next = pending
            pending = undefined
            if (next) start(next.item)
            else if (ended) subscriber.complete()
          },
        })
      }
      const sub = source$.subscribe({
        next(item) {
          if (!busy) start(item)
          else pending = { item: pending ? merge(pending.item, item) : item }
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          ended = true
          if (!busy && !pending) subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        current?.unsubscribe()
      }
    })
}
