import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'

/** Options of `batchChanges`. */
export interface BatchOptions {
  /** A batch closes once no item came for this long… [50 ms] */
  readonly quietMs?: number
  /** …or this long after its first item, however busy the source… [2000 ms] */
  readonly maxWaitMs?: number
  /** …or as soon as it holds this many items. [10000] */
  readonly maxSize?: number
  readonly scheduler?: SchedulerLike
}

/**
 * Groups items into batches that close when the source pauses (`quietMs`), at the latest
 * `maxWaitMs` after they opened, or at `maxSize`. A lone change waits only `quietMs`; a burst (an
 * archive unpacking, a `git checkout`) is taken in a few large batches once it pauses, rather than
 * copied while it is still being written, when both would compete for the disk. No empty
 * batches; completion flushes the last one.
 */
export function batchChanges<T>(opts: BatchOptions = {}): OperatorFunction<T, T[]> {
  const { quietMs = 50, maxWaitMs = 2000, maxSize = 10_000, scheduler = asyncScheduler } = opts
  return (source$) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = []
      let quiet: Subscription | undefined
      let deadline: Subscription | undefined
      const flush = (): void => {
        quiet?.unsubscribe()
        deadline?.unsubscribe()
        quiet = undefined
        deadline = undefined
        if (batch.length === 0) return
        const out = batch
        batch = []
        subscriber.next(out)
      }
      const sub = source$.subscribe({
        next(item) {
          batch.push(item)
          if (batch.length >= maxSize) {
            flush()
            return
          }
          quiet?.unsubscribe()
          quiet = scheduler.schedule(flush, quietMs)
          deadline ??= scheduler.schedule(flush, maxWaitMs)
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
        quiet?.unsubscribe()
        deadline?.unsubscribe()
      }
    })
}
