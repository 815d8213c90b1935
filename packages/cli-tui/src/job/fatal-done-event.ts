import type { ActionCounts, DoneEvent, SyncError } from '@syncflow/core'

const NONE: ActionCounts = { copy: 0, update: 0, delete: 0, mkdir: 0, move: 0, touch: 0, conflict: 0, skip: 0 }

/**
 * The `done` event of a run that could not start (lock held, missing source, unknown scheme), so
 * that `--json` consumers always see a final `done`, with the reason in `summary.fatal`.
 */
export function fatalDoneEvent(error: SyncError, mode: string, dryRun: boolean): DoneEvent {
  return {
    type: 'done',
    ts: Date.now(),
    summary: {
      mode,
      dryRun,
      planned: NONE,
      done: NONE,
      unchanged: 0,
      failed: 0,
      skipped: 0,
      bytesTransferred: 0,
      durationMs: 0,
      bytesPerSec: 0,
      filesPerSec: 0,
      listingErrors: 0,
      notices: 0,
      interrupted: error.code === 'ABORTED',
      fatal: error.toJSON(),
      errorCodes: { [error.code]: 1 },
    },
  }
}
