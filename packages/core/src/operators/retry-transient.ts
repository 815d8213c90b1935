import {
  catchError,
  defer,
  fromEvent,
  lastValueFrom,
  type MonoTypeOperatorFunction,
  retry,
  type SchedulerLike,
  takeUntil,
  throwError,
  timer,
} from 'rxjs'
import { bareMessage, isSyncError, SyncError, type SyncErrorCode } from '../errors/sync-error.js'

/** Options of `retryTransient`. */
export interface RetryOptions {
  /** Retries after the first attempt. [3] */
  readonly count?: number
  /**
   * Base delay; attempt n waits a random time in [0, base·2ⁿ) ("full jitter"), or in [base·2ⁿ,
   * base·2ⁿ⁺¹) after an error of a location that cannot be reached (`SyncError.unreachable`). [250]
   */
  readonly delayMs?: number
  /** Longest single wait. [10 000] */
  readonly maxDelayMs?: number
  readonly scheduler?: SchedulerLike
  /** Random source in [0,1) (tests make it deterministic). [Math.random] */
  readonly random?: () => number
  /**
   * Errors of a location that cannot be reached (`SyncError.unreachable`) pass through at once:
   * where many independent calls would each wait out their backoff for one server that is down
   * (the planning's decisions, 8 at a time over windows of 256). [false]
   */
  readonly notUnreachable?: boolean
  /**
   * Codes tried once more besides TRANSIENT, once only (a transfer's CHECKSUM, as rsync redoes a
   * file once: an object damaged on the service is not downloaded four times; see `executeAction`). [none]
   */
  readonly alsoCodes?: readonly SyncErrorCode[]
}

/**
 * Retries only errors whose code is `TRANSIENT` (or one of `alsoCodes`; retryability is a property of the error, never
 * parsed from its text), with exponential backoff and full jitter so that many clients hitting a
 * throttled service spread out. Other errors pass through at once. When every attempt failed, the
 * error is the first one (what went wrong: a retry may fail earlier, at a re-check), saying how
 * many attempts were made and, when it differs, how the last one failed.
 */
export function retryTransient<T>(opts: RetryOptions = {}): MonoTypeOperatorFunction<T> {
  const { count = 3, delayMs = 250, maxDelayMs = 10_000, scheduler, random = Math.random, notUnreachable } = opts
  const again = (err: unknown): err is SyncError =>
    isSyncError(err) && (err.retryable || (opts.alsoCodes?.includes(err.code) ?? false))
  return (source) =>
    defer(() => {
      let first: SyncError | undefined
      let attempts = 1
      let redone = false
      return source.pipe(
        retry({
          count,
          delay: (err: unknown, attempt: number) => {
            if (!again(err)) return throwError(() => err)
            if (notUnreachable && err.unreachable !== undefined) return throwError(() => err)
            if (!err.retryable) {
              if (redone) return throwError(() => err)
              redone = true
            }
            first ??= err
            attempts = attempt + 1
            // A location that cannot be reached at all (a server restarting) is waited for at least
            // half of each step, twice as long ("equal jitter": 1.75 to 3.5 s over 3 retries by
            // default): full jitter gave a second or less in all, often much less, and a server
            // restarted within a second or two failed the files in flight.
            const wait =
              err.unreachable !== undefined
                ? Math.min(maxDelayMs, (0.5 + random() / 2) * delayMs * 2 ** attempt)
                : Math.min(maxDelayMs, random() * delayMs * 2 ** (attempt - 1))
            return scheduler ? timer(wait, scheduler) : timer(wait)
          },
        }),
        catchError((err: unknown) => throwError(() => (first && again(err) ? gaveUp(first, err, attempts) : err))),
      )
    })
}

/** The error of `attempts` attempts that all failed so (`first`'s code), `first` and `last` among them. */
function gaveUp(first: SyncError, last: SyncError, attempts: number): SyncError {
  const what = bareMessage(first)
  const lastText = bareMessage(last) === what ? '' : `, the last: ${last.message}`
  const hint = first.hint ?? last.hint
  return new SyncError(first.code, `${what}; gave up after ${attempts} attempts${lastText}`, {
    ...(first.op !== undefined ? { op: first.op } : {}),
    ...(first.path !== undefined ? { path: first.path } : {}),
    ...(hint !== undefined ? { hint } : {}),
    // Whether the location is down is how the last attempt found it (a connection cut, then refused).
    ...(last.unreachable !== undefined ? { unreachable: last.unreachable } : {}),
    cause: last,
  })
}

/**
 * `call`, made again under `retryTransient` while it fails TRANSIENT: for a single request outside
 * the transfer lanes (the planning's stats and hashes), with the run's retry policy.
 */
export function retryTransientCall<T>(
  call: () => Promise<T>,
  opts: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const tries$ = defer(call).pipe(retryTransient(opts))
  if (signal === undefined) return lastValueFrom(tries$)
  // Aborted: `ABORTED` at once, the wait for the next try cancelled (a Ctrl-C while planning waited
  // out the backoff first; review 28).
  const aborted = (): SyncError => new SyncError('ABORTED', 'interrupted', { op: 'retry' })
  if (signal.aborted) return Promise.reject(aborted())
  const none = Symbol('aborted')
  return lastValueFrom(tries$.pipe(takeUntil(fromEvent(signal, 'abort'))), { defaultValue: none }).then((v) => {
    if (v === none) throw aborted()
    return v as T
  })
}
