import { asyncScheduler, type MonoTypeOperatorFunction, Observable, type SchedulerLike, type Subscription } from 'rxjs'
import type { ObservedChange } from './observed-change.js'

/** Options of `holdRemoves`. */
export interface HoldRemovesOptions {
  /** How long a remove waits for the upsert that would make it a rename. [250 ms] */
  readonly holdMs?: number
  readonly scheduler?: SchedulerLike
}

/**
 * Holds removes (entries gone from the source) for up to `holdMs`, so that a remove and the
 * upsert of a rename reach the same batch, where they can be paired into a move. The next upsert
 * releases every held remove just before itself; a remove nobody follows is released when its hold
 * ends. Other items pass at once; completion flushes what is held.
 */
export function holdRemoves(opts: HoldRemovesOptions = {}): MonoTypeOperatorFunction<ObservedChange> {
  const { holdMs = 250, scheduler = asyncScheduler } = opts
  return (source$) =>
    new Observable<ObservedChange>((subscriber) => {
      const held = new Map<ObservedChange, Subscription>()
      const releaseAll = (): void => {
        for (const [change, timer] of held) {
          timer.unsubscribe()
          subscriber.next(change)
        }
        held.clear()
      }
      const sub = source$.subscribe({
        next(change) {
          if (change.entry !== undefined) {
            releaseAll()
            subscriber.next(change)
            return
          }
          const timer = scheduler.schedule(() => {
            held.delete(change)
            subscriber.next(change)
          }, holdMs)
          held.set(change, timer)
        },
        error(err) {
          subscriber.error(err)
        },
        complete() {
          releaseAll()
          subscriber.complete()
        },
      })
      return () => {
        sub.unsubscribe()
        for (const timer of held.values()) timer.unsubscribe()
        held.clear()
      }
    })
}
