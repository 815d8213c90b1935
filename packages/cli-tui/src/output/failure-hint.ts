import {
  BACKUP_IN_THE_WAY_HINT,
  BACKUP_NAME_TOO_LONG_HINT,
  BACKUP_PATH_TOO_LONG_HINT,
  CLASH_HINT_DELETES_HELD,
  CLASH_HINT_EXCLUDED_KEPT,
  CLASH_HINT_NO_DELETES,
  type FailedEvent,
  SHRUNK_HINT,
  SIZE_MISMATCH_HINT,
  VANISHED_HINT,
} from '@syncflow/core'

/**
 * Hints about the run rather than the file (what a flag does about it), said once by default like
 * a TRANSIENT failure's: the CONFLICT of a source file that changed since it was listed tells of
 * --no-check-updated, which a cron job's log of a file always being written never learned of
 * without -v (QA 11 #7). So do those of an entry of another kind in the way of a source's (a
 * directory where the source has a file): what `copy` or held deletes mean for it (QA 22 #17).
 */
const RUN_HINTS: ReadonlySet<string> = new Set([
  SIZE_MISMATCH_HINT,
  SHRUNK_HINT,
  CLASH_HINT_DELETES_HELD,
  CLASH_HINT_NO_DELETES,
  CLASH_HINT_EXCLUDED_KEPT,
  BACKUP_IN_THE_WAY_HINT,
  VANISHED_HINT,
  // (The --suffix's, not the file's: QA 29e saw it only with -v.)
  BACKUP_NAME_TOO_LONG_HINT,
  BACKUP_PATH_TOO_LONG_HINT,
])

/**
 * The hint printed under a failure line, or undefined, the same for `sync` and `watch`: a listing
 * failure's (a whole side, or a part of it: it holds deletes back, and says what to do), a
 * TRANSIENT failure's (about the connection or the server rather than the file; QA: a server killed
 * mid-upload left one line per file and no word of what to check), a USAGE failure's found
 * while planning (a configuration to fix, not a file's transfer: a watch's `.syncflowignore` over
 * 1 MiB, whose hint says the rules in use stay) and a hint about the run (`RUN_HINTS`) once each, on the first line it goes with, not again for every name or every
 * cycle; a file's own (its permissions…) only with -v, where every line has its own. `shown`
 * remembers the hints said.
 */
export function failureHint(
  event: Pick<FailedEvent, 'path' | 'stage' | 'error'>,
  verbose: boolean,
  shown: Set<string>,
): string | undefined {
  const { hint } = event.error
  if (hint === undefined) return undefined
  const once =
    (event.path === '' ||
      event.stage === 'list' ||
      event.error.code === 'TRANSIENT' ||
      // A full target is the run's problem, not the file's: what to do is said once (QA 22 #6).
      event.error.code === 'NO_SPACE' ||
      // Refused credentials are the run's too: which ones were used, and what chooses others, said
      // once (a bucket policy refusing one prefix printed file lines with no word of it; QA 32b).
      event.error.code === 'AUTH' ||
      (event.error.code === 'USAGE' && event.stage === 'plan') ||
      RUN_HINTS.has(hint)) &&
    !shown.has(hint)
  if (!verbose && !once) return undefined
  shown.add(hint)
  return hint
}
