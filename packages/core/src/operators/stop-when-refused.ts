import { concat, type MonoTypeOperatorFunction, mergeMap, type Observable, of, throwError } from 'rxjs'
import { SyncError } from '../errors/sync-error.js'
import type { FailedEvent, SyncEvent } from '../model/sync-event.js'

/** Transfers refused for credentials, with none done, after which the run stops. */
export const REFUSALS_BEFORE_STOP = 3

const stopped = new WeakSet<object>()

/** True when `err` is the error `stopWhenRefused` ended a run with (a transfer-stage failure, not a listing one). */
export function isRefusalStop(err: unknown): boolean {
  return typeof err === 'object' && err !== null && stopped.has(err)
}

/**
 * Ends the run with a fatal AUTH error when the first `limit` actions that failed were all refused
 * for credentials (AUTH: read-only keys, a bucket policy without PutObject) and none has been
 * done: every other one would be refused too, one request and one printed failure each (QA 15 #6:
 * 2,800 uploads refused one by one, then exit 1, where a credentials problem is exit 2). Once one
 * action went through, a refusal is that item's failure (a policy may deny one prefix). What is
 * in flight is abandoned as on an interrupt: nothing half-written stays, and nothing is deleted.
 */
export function stopWhenRefused(limit = REFUSALS_BEFORE_STOP): MonoTypeOperatorFunction<SyncEvent> {
  return (events$) => {
    let done = 0
    let refused = 0
    let first: FailedEvent | undefined
    return events$.pipe(
      mergeMap((e): Observable<SyncEvent> => {
        // (A directory made says nothing about the other side: an S3 source refusing every read.)
        if (e.type === 'completed' && !e.dryRun && e.action.kind !== 'mkdir') done++
        if (e.type !== 'failed' || e.error.code !== 'AUTH' || done > 0) return of(e)
        first ??= e
        refused++
        if (refused < limit) return of(e)
        const error = new SyncError(
          'AUTH',
          `stopped: ${refused} transfers in a row were refused for credentials, none accepted (the first: ${first.error.message})`,
          {
            hint:
              first.error.hint ??
              'Check that the credentials in use may write there (a read-only key or a bucket policy refuses it).',
          },
        )
        stopped.add(error)
        return concat(
          of(e),
          throwError(() => error),
        )
      }),
    )
  }
}
