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
 * Needs a terminal on stdin and stdout; elsewhere it says so and suggests `sync` (exit 2).
 *
 * The job (engine, backends, reporters) starts first and runs while Ink and React load; the UI follows
 * its events (through a hub that keeps them until the UI has subscribed).
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
  const [{ startEngine }, { SyncEventHub }, { onInterrupt }, { onHangup }] = await Promise.all([
    import('../ui/start-engine.js'),
    import('../ui/sync-event-hub.js'),
    import('../job/on-interrupt.js'),
    import('./on-hangup.js'),
  ])
  // The engine first: it opens the job (lock, backends, the listing starts) while Ink and React load.
  const engine = startEngine({ source, target, flags })
  const removeHandlers = onInterrupt(() => engine.abort())
  const hangup = onHangup(() => engine.abort())
  // The hub keeps the run's events until the UI has subscribed.
  const hub = new SyncEventHub(engine.events)
  const color = !noColor()
  // chalk (under Ink) reads this once, when it is first imported: before the lazy import below.
  if (!color) process.env.FORCE_COLOR = '0'
  // React's production build: its development build checks every element and renders several times slower.
  // (Written so that a bundle that fixes process.env.NODE_ENV at build time still compiles.)
  Object.assign(process.env, { NODE_ENV: process.env.NODE_ENV ?? 'production' })
  // Ink draws only a final frame where it believes it runs in CI (is-in-ci reads CI and
  // CONTINUOUS_INTEGRATION once, when Ink is imported below). `ui` was asked for a live screen on
  // a terminal (checked above), so those variables do not apply to it.
  delete process.env.CI
  delete process.env.CONTINUOUS_INTEGRATION
  const ui = import('../ui/run-ui.js')
  ui.catch(() => {})
  const mode = flags.mode ?? 'mirror'
  /** Says why the job could not run. */
  const fail = async (error: unknown): Promise<ExitCode> => {
    const [core, errors, exits] = await Promise.all([
      import('@syncflow/core'),
      import('../errors/format-error.js'),
      import('../errors/exit-codes.js'),
    ])
    const e = core.asSyncError(error)
    streams.stderr.write(errors.formatError(e, flags.verbose === true))
    return exits.exitCodeForError(e)
  }
  try {
    let where: { source: string; target: string; metricsUrl?: string }
    try {
      where = await engine.opened
    } catch (error) {
      await engine.closed
      return await fail(error)
    }
    let runUi: typeof import('../ui/run-ui.js')['runUi']
    try {
      ;({ runUi } = await ui)
    } catch (error) {
      engine.abort()
      await engine.closed
      return await fail(error)
    }
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
      ...(where.metricsUrl ? { metricsUrl: where.metricsUrl } : {}),
    })
    // The job is closed (state saved, lock released) before the process may exit.
    const { fatal } = await engine.closed
    for (const w of engine.warnings) streams.stderr.write(`syncflow: ${w}\n`)
    if (fatal && !summary) return await fail(fatal)
    if (!summary) return EXIT.FAILED
    if (summary.fatal) await fail(summary.fatal)
    const { exitCodeForSummary } = await import('../job/exit-code-for-summary.js')
    return exitCodeForSummary(summary, 'sync')
  } finally {
    hub.close()
    removeHandlers()
    hangup.finish()
  }
}
