import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs'

/** Options of `batchChanges`. */
export interface BatchOptions {
  /** A batch closes once no item came for this long… [50 ms] */
  readonly quietMs?: number
  /** …or this long after its first item, however busy the source… [2000 ms] */
  readonly maxWaitMs?: number
  /** …or as soon as it holds this many items. [10000] */
  readonly maxSize?: number
  /** A batch holding this many items is a burst (an archive unpacking, a checkout)… [256] */
  readonly burstSize?: number
  /** …which closes once no item came for this long… [5 × quietMs] */
  readonly burstQuietMs?: number
  /** …or this long after its first item. [5 × maxWaitMs] */
  readonly burstMaxWaitMs?: number
  readonly scheduler?: SchedulerLike
}

/**
 * Groups items into batches that close when the source pauses (`quietMs`), at the latest
 * `maxWaitMs` after they opened, or at `maxSize`. A lone change waits only `quietMs`. A batch that
 * grows to `burstSize` is a burst (an archive unpacking, a `git checkout`): it waits for a longer
 * pause (`burstQuietMs`, at most `burstMaxWaitMs`), so that the burst is taken in a few large
 * batches once it is over rather than copied while it is still being written, when both would
 * compete for the CPU and the disk (measured: a watched `tar -x` of 10,000 files ran 4× slower than
 * alone). A burst lasting minutes still ships every `burstMaxWaitMs`. No empty batches; completion
 * flushes the last one.
 */
export function batchChanges<T>(opts: BatchOptions = {}): OperatorFunction<T, T[]> {
  const { quietMs = 50, maxWaitMs = 2000, maxSize = 10_000, burstSize = 256, scheduler = asyncScheduler } = opts
  const burstQuietMs = opts.burstQuietMs ?? 5 * quietMs
  const burstMaxWaitMs = opts.burstMaxWaitMs ?? 5 * maxWaitMs
  return (source$) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = []
      let quiet: Subscription | undefined
      let deadline: Subscription | undefined
      let opened = 0
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
          const burst = batch.length >= burstSize
          quiet?.unsubscribe()
          quiet = scheduler.schedule(flush, burst ? burstQuietMs : quietMs)
          if (!deadline) {
            opened = scheduler.now()
            deadline = scheduler.schedule(flush, maxWaitMs)
          } else if (batch.length === burstSize) {
            // Now a burst: its deadline moves out, counted from when the batch opened.
            deadline.unsubscribe()
            deadline = scheduler.schedule(flush, Math.max(0, opened + burstMaxWaitMs - scheduler.now()))
          }
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
