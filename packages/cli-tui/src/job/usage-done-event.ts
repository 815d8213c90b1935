import { type DoneEvent, SyncError } from '@syncflow/core'
import { fatalDoneEvent } from './fatal-done-event.js'

/** The job commands (their `--json` prints SyncEvents), with the mode each runs by default. */
const JOB_MODES: Readonly<Record<string, string>> = {
  sync: 'mirror',
  check: 'mirror',
  watch: 'mirror',
  ui: 'mirror',
  copy: 'copy',
  backup: 'copy',
  restore: 'copy',
}

/**
 * The final `done` event for a command line that failed before its job could start (an unknown
 * flag, a bad value, an unreadable --config file), when it asked for `--json`: scripts reading
 * the NDJSON then always get a last `done`, the reason in `summary.fatal` (code USAGE), as they do
 * for every other problem. Undefined for other commands (`ls --json` prints entries, not events)
 * and without `--json`.
 */
export function usageDoneEvent(argv: readonly string[], message: string, hint?: string): DoneEvent | undefined {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  const mode = JOB_MODES[args[0] ?? '']
  if (mode === undefined || !args.includes('--json')) return undefined
  const modeFlag = args.indexOf('--mode')
  const chosen = modeFlag === -1 ? undefined : args[modeFlag + 1]
  const error = new SyncError('USAGE', message, {
    hint: hint ?? `Run 'syncflow ${args[0]} --help' to see the flags.`,
  })
  return fatalDoneEvent(
    error,
    chosen === 'copy' || chosen === 'mirror' ? chosen : mode,
    args.includes('-n') || args.includes('--dry-run'),
  )
}
