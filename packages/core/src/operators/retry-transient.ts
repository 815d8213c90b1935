import { type MonoTypeOperatorFunction, retry, type SchedulerLike, throwError, timer } from 'rxjs'
import { isSyncError } from '../errors/sync-error.js'

/** Options of `retryTransient`. */
export interface RetryOptions {
  /** Retries after the first attempt. [3] */
  readonly count?: number
  /** Base delay; attempt n waits a random time in [0, base·2ⁿ) ("full jitter"). [250] */
  readonly delayMs?: number
  /** Longest single wait. [10 000] */
  readonly maxDelayMs?: number
  readonly scheduler?: SchedulerLike
  /** Random source in [0,1) (tests make it deterministic). [Math.random] */
  readonly random?: () => number
}

/**
 * Retries only errors whose code is `TRANSIENT` (retryability is a property of the error, never
 * parsed from its text), with exponential backoff and full jitter so that many clients hitting a
 * throttled service spread out. Other errors pass through at once.
 */
export function retryTransient<T>(opts: RetryOptions = {}): MonoTypeOperatorFunction<T> {
  const { count = 3, delayMs = 250, maxDelayMs = 10_000, scheduler, random = Math.random } = opts
  return retry({
    count,
    delay: (err: unknown, attempt: number) => {
      if (!isSyncError(err) || !err.retryable) return throwError(() => err)
      const wait = Math.min(maxDelayMs, random() * delayMs * 2 ** (attempt - 1))
      return scheduler ? timer(wait, scheduler) : timer(wait)
    },
  })
}
