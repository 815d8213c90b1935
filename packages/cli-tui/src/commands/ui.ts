import type { SyncEvent, SyncSummary } from '@syncflow/core'
import { Option } from 'commander'
import type { Observable } from 'rxjs'
import { EXIT, type ExitCode } from '../errors/exit-codes.js'
import type { Streams } from '../output/streams.js'
import type { WatchFlags } from './watch.js'

/** Flags of `ui`: those of `sync` and of `watch`, and `--watch`. */
export interface UiFlags extends WatchFlags {
  /** Run a continuous job (as `watch`) instead of one sync. */
  readonly watch?: boolean
}

/** The flag `ui` adds to those of `watch`. */
export const UI_OPTIONS: readonly (() => Option)[] = [
  () => new Option('-w, --watch', 'keep DST in step continuously, as `syncflow watch` does'),
]

/** True when NO_COLOR asks for no colors (https://no-color.org: set and not empty). */
export function noColor(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.NO_COLOR ?? '') !== ''
}

/**
 * `syncflow ui SRC DST`: a sync (or, with --watch, a continuous job) inside the live terminal UI.
 * Ink and React are loaded here only. Needs a terminal on stdin and stdout; elsewhere it says so and
 * suggests `sync` (exit 2).
 */
export async function uiCommand(source: string, target: string, flags: UiFlags, streams: Streams): Promise<ExitCode> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    streams.stderr.write(
      'syncflow: `ui` needs a terminal (stdin and stdout must both be one).\n' +
        `  Run \`syncflow sync ${source} ${target}\` instead (it prints progress and a summary; --json for NDJSON).\n`,
    )
    return EXIT.USAGE
  }
  if (flags.json) {
    streams.stderr.write(
      'syncflow: `ui` draws on the terminal, so --json does not apply.\n  Use `syncflow sync --json` for NDJSON.\n',
    )
    return EXIT.USAGE
  }
  const color = !noColor()
  // chalk (under Ink) reads this once, when it is first imported: before the lazy import below.
  if (!color) process.env.FORCE_COLOR = '0'
  const [core, watch, { openJob }, { createBuiltinRegistry }, { onInterrupt }, { exitCodeForSummary }, errors] =
    await Promise.all([
      import('@syncflow/core'),
      import('./watch.js'),
      import('../job/open-job.js'),
      import('../job/builtin-plugins.js'),
      import('../job/on-interrupt.js'),
      import('../job/exit-code-for-summary.js'),
      import('../errors/format-error.js'),
    ])
  const continuous = await watch.loadContinuous()
  const [{ openReporters }, { runUi }, rx, { fatalDoneEvent }, { exitCodeForError }] = await Promise.all([
    import('../reporters/open-reporters.js'),
    import('../ui/run-ui.js'),
    import('rxjs'),
    import('../job/fatal-done-event.js'),
    import('../errors/exit-codes.js'),
  ])
  const mode = flags.mode ?? 'mirror'
  const dryRun = flags.dryRun === true
  const controller = new AbortController()
  const removeHandlers = onInterrupt(() => controller.abort())
  let reporters: import('../reporters/open-reporters.js').OpenedReporters | undefined
  try {
    // Webhook warnings are not printed: stderr is the UI's terminal (they show in the monitor anyway).
    reporters = await openReporters(
      { ...(flags.webhook ? { webhook: flags.webhook } : {}), ...(flags.metrics ? { metrics: flags.metrics } : {}) },
      { command: flags.watch ? 'ui --watch' : 'ui', source, target },
      () => {},
    )
    const sinks = reporters
    let summary: SyncSummary | undefined
    const job = await openJob(
      { mode, source, target, flags, readOnly: dryRun },
      createBuiltinRegistry(),
      controller.signal,
    )
    try {
      // Pausing holds back every call that starts a change (read, write, move, remove…) on either side.
      const gate = new continuous.PauseGate()
      const src = continuous.backendView(job.source, { gate, signal: controller.signal })
      const dst = continuous.backendView(job.target, { gate, signal: controller.signal })
      const run$: Observable<SyncEvent> = flags.watch
        ? continuous.continuousSync(src, dst, { ...job.options, ...watch.continuousOptionsOf(flags) })
        : core.sync(src, dst, job.options)
      summary = await runUi({
        events$: run$.pipe(rx.tap((e) => sinks.event(e))),
        command: flags.watch ? 'watch' : mode === 'copy' ? 'copy' : 'sync',
        source: job.source.uri,
        target: job.target.uri,
        watch: flags.watch === true,
        gate,
        onQuit: () => controller.abort(),
        onForceQuit: () => process.exit(EXIT.INTERRUPTED),
        color,
      })
    } finally {
      await job.close()
    }
    if (!summary) return EXIT.FAILED
    if (summary.fatal) {
      const { code, message, hint } = summary.fatal
      streams.stderr.write(
        errors.formatError(new core.SyncError(code, message, hint ? { hint } : {}), flags.verbose === true),
      )
    }
    return exitCodeForSummary(summary, 'sync')
  } catch (err) {
    const error = core.asSyncError(err)
    reporters?.event(fatalDoneEvent(error, mode, dryRun))
    streams.stderr.write(errors.formatError(err, flags.verbose === true))
    return exitCodeForError(error)
  } finally {
    await reporters?.close()
    removeHandlers()
  }
}
