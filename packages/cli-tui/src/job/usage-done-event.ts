import { SyncError } from '@syncflow/core'
import { JsonReporter } from '../output/json-reporter.js'
import type { Streams } from '../output/streams.js'
import { fatalDoneEvent } from './fatal-done-event.js'

/** The job commands (their `--json` prints SyncEvents), with the mode their summary names by default. */
const JOB_MODES: Readonly<Record<string, string>> = {
  sync: 'mirror',
  check: 'check',
  watch: 'mirror',
  ui: 'mirror',
  copy: 'copy',
  backup: 'copy',
  restore: 'copy',
}

/**
 * Writes the final `done` event for a command line that failed before its job could start (an
 * unknown flag, a bad value, an unreadable --config file), when it asked for `--json`: scripts
 * reading the NDJSON then always get a last `done`, the reason in `summary.fatal` (code USAGE), as
 * they do for every other problem. Nothing for other commands (`ls --json` prints entries, not
 * events) or without `--json`.
 */
export function writeUsageDone(argv: readonly string[], streams: Streams, message: string, hint?: string): void {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  const mode = JOB_MODES[args[0] ?? '']
  if (mode === undefined || !args.includes('--json')) return
  const modeFlag = args.indexOf('--mode')
  const chosen = modeFlag === -1 ? undefined : args[modeFlag + 1]
  const error = new SyncError('USAGE', message, {
    hint: hint ?? `Run 'syncflow ${args[0]} --help' to see the flags.`,
  })
  new JsonReporter(streams, true).event(
    fatalDoneEvent(
      error,
      chosen === 'copy' || chosen === 'mirror' ? chosen : mode,
      // `check` is always a dry run, as its own `done` says.
      mode === 'check' || args.includes('-n') || args.includes('--dry-run'),
    ),
  )
}
