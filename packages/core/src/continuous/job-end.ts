import { defer, type Observable, of } from 'rxjs'
import type { SummaryBuilder } from '../engine/summary-builder.js'
import { isSyncError } from '../errors/sync-error.js'
import type { SyncEvent } from '../model/sync-event.js'

/**
 * The last `done` of a continuous job, its totals over all cycles. As `sync` does, a job stopped
 * for a reason of its own, given as the signal's (a shared state store gone, or its job lock
 * lost), ends with that error (exit 2, said with its hint), not as interrupted: a watch said only
 * "Stopped: what finished is saved; watching again resumes from there", exit 130, when its Redis
 * was killed (QA 32c). Any other stop is an interruption.
 */
export function jobEnd(total: SummaryBuilder, signal: AbortSignal | undefined): Observable<SyncEvent> {
  return defer(() => {
    const reason: unknown = signal?.reason
    if (signal?.aborted && isSyncError(reason) && reason.code !== 'ABORTED') total.fatal ??= reason.toJSON()
    else if (signal?.aborted) total.interrupted = true
    return of<SyncEvent>({ type: 'done', ts: Date.now(), summary: total.build() })
  })
}
