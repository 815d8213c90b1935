import type { SyncSummary } from '@syncflow/core'
import { EXIT, type ExitCode, exitCodeForError } from '../errors/exit-codes.js'
import { differenceCount } from '../output/format-summary.js'

/**
 * The exit code of a finished run: 130 interrupted; 2 when the run could not proceed (`fatal`);
 * 1 when items failed, a listing was incomplete, a guard suppressed deletes, or `check` found
 * differences; 0 otherwise.
 */
export function exitCodeForSummary(summary: SyncSummary, kind: 'sync' | 'check'): ExitCode {
  if (summary.interrupted) return EXIT.INTERRUPTED
  if (summary.fatal) return exitCodeForError(summary.fatal)
  if (summary.failed > 0 || summary.listingErrors > 0 || summary.deletesSuppressed) return EXIT.FAILED
  if (kind === 'check' && differenceCount(summary) > 0) return EXIT.FAILED
  return EXIT.OK
}
