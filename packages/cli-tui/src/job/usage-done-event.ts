import { SyncError } from '@syncflow/core'
import { JsonReporter } from '../output/json-reporter.js'
import { lsFatalLine } from '../output/ls-fatal-line.js'
import type { Streams } from '../output/streams.js'
import { fatalDoneEvent } from './fatal-done-event.js'

/** The job commands (their `--json` prints SyncEvents), with the mode their summary names by default. */
const JOB_MODES: Readonly<Record<string, string>> = {
  sync: 'mirror',
  check: 'check',
  // What its own `done` says, whatever its --mode (a continuous job's summary is `watch`'s).
  watch: 'watch',
  ui: 'mirror',
  copy: 'copy',
  backup: 'copy',
  restore: 'copy',
  // (Left out, a `move … --json` with a bad flag printed nothing on stdout.)
  move: 'copy',
  // Not available yet, but its --json reader gets a `done` too.
  bisync: 'bisync',
}

/**
 * Writes the final `done` event for a command line that failed before its job could start (an
 * unknown flag, a bad value, an unreadable --config file), when it asked for `--json`: scripts
 * reading the NDJSON then always get a last `done`, the reason in `summary.fatal` (code USAGE), as
 * they do for every other problem. `ls --json` prints entries, not events: its last line is then
 * `{"fatal": …}` (`lsFatalLine`). Nothing for other commands or without `--json`.
 */
export function writeUsageDone(argv: readonly string[], streams: Streams, message: string, hint?: string): void {
  const end = argv.indexOf('--')
  const args = end === -1 ? argv : argv.slice(0, end)
  // The command is the first word that names one, not always the first word: `syncflow --json sync
  // a b` (a flag given before the command, refused) asked for --json too, and got no `done`.
  const command = args.find((a) => a === 'ls' || Object.hasOwn(JOB_MODES, a)) ?? ''
  const mode = JOB_MODES[command]
  if (!args.includes('--json') || (mode === undefined && command !== 'ls')) return
  const error = new SyncError('USAGE', message, {
    hint: hint ?? `Run 'syncflow ${command} --help' to see the flags.`,
  })
  if (mode === undefined) {
    streams.stdout.write(lsFatalLine(error))
    return
  }
  const modeFlag = args.indexOf('--mode')
  const chosen = modeFlag === -1 || mode === 'watch' ? undefined : args[modeFlag + 1]
  new JsonReporter(streams, true).event(
    fatalDoneEvent(
      error,
      chosen === 'copy' || chosen === 'mirror' ? chosen : mode,
      // `check` is always a dry run, as its own `done` says.
      // (`-nc`, `-vn`: a bundle of short flags with -n in it is a dry run too.)
      mode === 'check' || args.includes('--dry-run') || args.some((a) => /^-[a-zA-Z]*n[a-zA-Z]*$/.test(a)),
    ),
  )
}
