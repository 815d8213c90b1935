import type { SyncErrorCode } from '../errors/sync-error.js'

/**
 * Failures a continuous job tries again in a later cycle (lsyncd and Mutagen do the same): the
 * network or a server (`TRANSIENT`, after the engine's own quick retries), and what a person or
 * another program may fix meanwhile: permissions, a full disk, a destination that changed under
 * us, a transfer that did not match its hash. A bad name, a missing feature or a bug would only
 * fail again.
 */
const LATER: ReadonlySet<SyncErrorCode> = new Set(['TRANSIENT', 'PERMISSION', 'CONFLICT', 'NO_SPACE', 'CHECKSUM'])

/** Errors that end a continuous job: it cannot go on until someone changes its configuration. */
const FATAL: ReadonlySet<SyncErrorCode> = new Set(['AUTH', 'USAGE', 'UNSUPPORTED', 'LOCKED'])

/** Timing of the retries of a continuous job. */
export interface RetryLaterTiming {
  /** First wait. */
  readonly baseMs: number
  /** Longest wait. */
  readonly maxMs: number
}

/** Whether a failure of this code is worth trying again later (see `LATER`). */
export function retriesLater(code: SyncErrorCode): boolean {
  return LATER.has(code)
}

/** Whether an error of this code, from listing or watching a side, ends a continuous job. */
export function endsContinuousJob(code: SyncErrorCode): boolean {
  return FATAL.has(code)
}

/** The wait before retry number `attempt` (1, 2, …): base, 2·base, 4·base … capped at `maxMs`. */
export function retryLaterDelayMs(attempt: number, timing: RetryLaterTiming): number {
  return Math.min(timing.maxMs, timing.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)))
}
