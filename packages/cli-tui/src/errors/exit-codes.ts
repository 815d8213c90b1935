import type { SyncErrorCode } from '@syncflow/core'

/** The process exit codes, a stable surface (design §8, CONTRIBUTING.md). */
export const EXIT = {
  /** Success, or (for `check`) the trees are in sync. */
  OK: 0,
  /** Some items failed, `check` found differences, or a safety guard suppressed deletes. */
  FAILED: 1,
  /** Usage, configuration, credentials, lock, unsupported feature or another fatal error: the run did not happen, or stopped. */
  USAGE: 2,
  /** Interrupted by SIGINT/SIGTERM (state saved). */
  INTERRUPTED: 130,
} as const

/** One of the exit codes above. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/**
 * The exit code for an error that stopped a command before or instead of a run (also used for
 * `done.summary.fatal`): interrupted → 130, anything else → 2, since the run did not happen, or
 * stopped once what it had planned was finished (a listing refused after some of it was planned).
 * Per-item failures inside a run are counted in the summary instead and give 1.
 */
export function exitCodeForError(error: { readonly code: SyncErrorCode }): ExitCode {
  return error.code === 'ABORTED' ? EXIT.INTERRUPTED : EXIT.USAGE
}
