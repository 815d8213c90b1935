import { type FailedEvent, type SyncEvent, type SyncSummary, VANISHED_HINT } from '@syncflow/core'

/**
 * A copy whose source file was deleted or renamed after the change was seen and before it was read
 * (a build's temp file, a `git checkout` in a burst). In a watch the path is tried again, which finds
 * it gone (or where it went) and takes the deletes its failure held back with it: the job's summary
 * never counts it (QA 28d N2). rsync calls it "file has vanished", a warning.
 */
export function isVanishedCopy(e: SyncEvent): e is FailedEvent {
  return e.type === 'failed' && e.stage === 'transfer' && e.error.code === 'NOT_FOUND' && e.error.hint === VANISHED_HINT
}

/**
 * A watch cycle's `summary` without `vanished` of its failures, which were vanished copies (see
 * `isVanishedCopy`); where they were all its failures, its deletes are not said suppressed either
 * (they go with the retry). Monitors and the log then see the cycle as the job will count it: a
 * burst of short-lived files pinged `URL/fail`, and printed a failure per file (review of watch).
 */
export function withoutVanished(summary: SyncSummary, vanished: number): SyncSummary {
  if (vanished <= 0) return summary
  const failed = Math.max(0, summary.failed - vanished)
  const errorCodes = { ...summary.errorCodes }
  const left = (errorCodes.NOT_FOUND ?? 0) - vanished
  if (left > 0) errorCodes.NOT_FOUND = left
  else delete errorCodes.NOT_FOUND
  const { deletesSuppressed, ...rest } = summary
  const onlyVanished = failed === 0 && summary.listingErrors === 0 && summary.fatal === undefined
  return {
    ...rest,
    failed,
    errorCodes,
    ...(deletesSuppressed !== undefined && !onlyVanished ? { deletesSuppressed } : {}),
  }
}
