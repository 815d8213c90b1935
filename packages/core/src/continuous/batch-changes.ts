import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'

/** Options of `batchChanges`. */
export interface BatchOptions {
  /** A batch closes this long after its first item. [20 ms] */
  readonly windowMs?: number
  /** …or as soon as it holds this many items. [5000] */
  readonly maxSize?: number
  readonly scheduler?: SchedulerLike
}

/**
 * Groups items into batches: a batch opens with its first item and closes `windowMs` later or when
 * it reaches `maxSize`, so a burst (10,000 files of an unpacked archive) becomes a few batches, and
 * a lone change waits no longer than `windowMs`. No empty batches; completion flushes the last one.
 */
export function batchChanges<T>(opts: BatchOptions = {}): OperatorFunction<T, T[]> {
  const { windowMs = 20, maxSize = 5000, scheduler = asyncScheduler } = opts
  return (source$) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = []
      let timer: Subscription | undefined
      const flush = (): void => {
        timer?.unsubscribe()
        timer = undefined
        if (batch.length === 0) return
        const out = batch
        batch = []
        subscriber.next(out)
      }
      const sub = source$.subscribe({
        next(item) {
          batch.push(item)
          if (batch.length >= maxSize) flush()
          else timer ??= scheduler.schedule(flush, windowMs)
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          flush()
          subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        timer?.unsubscribe()
      }
    })
}
