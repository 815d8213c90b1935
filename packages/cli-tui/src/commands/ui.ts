import type { SerializedError } from '@syncflow/core'
import { Option } from 'commander'
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
  // React's production build: its development build checks every element and renders several times slower.
  process.env.NODE_ENV ??= 'production'
  // The engine thread starts first: it loads the engine and opens the job (lock, backends) while
  // this thread loads Ink and React; it runs the job on `start()`, once the UI is ready to follow.
  const { startEngineThread } = await import('../ui/engine-thread.js')
  const engine = startEngineThread({ source, target, flags })
  // Ink draws only a final frame where it believes it runs in CI (is-in-ci reads CI and
  // CONTINUOUS_INTEGRATION once, when Ink is imported below). `ui` was asked for a live screen on
  // a terminal (checked above), so those variables do not apply to this thread.
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  const ui = import('../ui/run-ui.js')
  ui.catch(() => {})
  const [{ SyncEventHub }, { openReporters }, { onInterrupt }, jobExit, { fatalDoneEvent }] = await Promise.all([
    import('../ui/sync-event-hub.js'),
    import('../reporters/open-reporters.js'),
    import('../job/on-interrupt.js'),
    import('../job/exit-code-for-summary.js'),
    import('../job/fatal-done-event.js'),
  ])
  const errorTools = () =>
    Promise.all([import('@syncflow/core'), import('../errors/format-error.js'), import('../errors/exit-codes.js')])
  const mode = flags.mode ?? 'mirror'
  const dryRun = flags.dryRun === true
  /** Says why the job could not run (an error here, or one serialized by the engine thread). */
  const fail = async (error: unknown): Promise<ExitCode> => {
    const [core, errors, exits] = await errorTools()
    const e =
      error instanceof Error
        ? core.asSyncError(error)
        : (() => {
            const { code, message, hint } = error as SerializedError
            return new core.SyncError(code, message, hint !== undefined ? { hint } : {})
          })()
    streams.stderr.write(errors.formatError(e, flags.verbose === true))
    return exits.exitCodeForError(e)
  }
  // The hub keeps the run's events until the UI has subscribed (the reporters get them all too).
  const hub = new SyncEventHub(engine.events$)
  let reporters: import('../reporters/open-reporters.js').OpenedReporters
  try {
    // Webhook warnings are not printed: stderr is the UI's terminal (they show in the monitor anyway).
    reporters = await openReporters(
      { ...(flags.webhook ? { webhook: flags.webhook } : {}), ...(flags.metrics ? { metrics: flags.metrics } : {}) },
      { command: flags.watch ? 'ui --watch' : 'ui', source, target },
      () => {},
    )
  } catch (err) {
    engine.abort()
    await engine.closed
    return fail(err)
  }
  const sinks = reporters
  hub.events$.subscribe((e) => sinks.event(e))
  const removeHandlers = onInterrupt(() => engine.abort())
  try {
    let where: { source: string; target: string }
    try {
      where = await engine.opened
    } catch (error) {
      const e = error as SerializedError
      const { SyncError } = await import('@syncflow/core')
      sinks.event(fatalDoneEvent(new SyncError(e.code, e.message), mode, dryRun))
      await engine.closed
      return fail(e)
    }
    engine.start()
    const { runUi } = await ui
    const summary = await runUi({
      hub,
      command: flags.watch ? 'watch' : mode === 'copy' ? 'copy' : 'sync',
      source: where.source,
      target: where.target,
      watch: flags.watch === true,
      gate: engine.gate,
      onQuit: () => engine.abort(),
      onForceQuit: () => process.exit(EXIT.INTERRUPTED),
      color,
    })
    // The job is closed (state saved, lock released) before the process may exit.
    const { fatal } = await engine.closed
    if (fatal && !summary) return fail(fatal)
    if (!summary) return EXIT.FAILED
    if (summary.fatal) await fail(summary.fatal)
    return jobExit.exitCodeForSummary(summary, 'sync')
  } finally {
    hub.close()
    await sinks.close()
    removeHandlers()
  }
}
