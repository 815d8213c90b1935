import type { SyncSummary } from '@syncflow/core'
import { render } from 'ink'
import { clearOnShrink } from './clear-on-shrink.js'
import { SyncApp } from './SyncApp.js'
import type { SyncEventHub } from './sync-event-hub.js'
import type { Pausable } from './use-paused.js'

/** What `runUi` needs. */
export interface RunUiOptions {
  /** The run, already started (its events are kept until the UI has subscribed). */
  readonly hub: SyncEventHub
  readonly command: string
  readonly source: string
  readonly target: string
  readonly watch: boolean
  readonly gate?: Pausable
  /** Stop the run cleanly (abort its signal). */
  readonly onQuit: () => void
  /** Leave at once (second `q` / Ctrl-C). */
  readonly onForceQuit?: () => void
  readonly color: boolean
  /** Where `--metrics` are served (the help screen says so). */
  readonly metricsUrl?: string
  /** A dry run (`ui -n`): the screen says so. */
  readonly dryRun?: boolean
  readonly stdout?: NodeJS.WriteStream
  readonly stdin?: NodeJS.ReadStream
  /** Ink's own frame cap, a guard for bursts of key presses: the frames of the run are paced by `useSyncEvents`. [60] */
  readonly maxFps?: number
  /** Most frequent view update, ms. [500] */
  readonly frameMs?: number
  /**
   * Aborted by a signal (SIGINT, SIGTERM, SIGHUP): the UI leaves once the run has ended, without
   * waiting for a `q` (after a run with failures) that a closed terminal can never send. [none]
   */
  readonly signal?: AbortSignal
}

/**
 * Runs the Ink UI around a run until its final `done` is on screen (and, after a run with failures,
 * until the user leaves with `q`); resolves with that summary (undefined if the run ended without
 * one). The view is updated at most every `frameMs` (more rarely when frames are costly, see
 * `useSyncEvents`), so drawing costs little however fast the events come.
 */
export async function runUi(opts: RunUiOptions): Promise<SyncSummary | undefined> {
  const { hub } = opts
  const frameMs = opts.frameMs ?? 500
  const app = render(
    <SyncApp
      events$={hub.events}
      command={opts.command}
      source={opts.source}
      target={opts.target}
      watch={opts.watch}
      {...(opts.gate ? { gate: opts.gate } : {})}
      onQuit={opts.onQuit}
      {...(opts.onForceQuit ? { onForceQuit: opts.onForceQuit } : {})}
      onSubscribed={() => hub.seal()}
      color={opts.color}
      frameMs={frameMs}
      {...(opts.metricsUrl ? { metricsUrl: opts.metricsUrl } : {})}
      {...(opts.dryRun ? { dryRun: true } : {})}
    />,
    {
      ...(opts.stdout ? { stdout: opts.stdout } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
      // Not lower: Ink's throttle leaves its timer running after unmount (it flushes, never
      // cancels), which holds the process up to one interval after the last frame (100 ms at 10).
      maxFps: opts.maxFps ?? 60,
      exitOnCtrlC: false,
      patchConsole: true,
    },
  )
  // After render: in front of the resize handler Ink has just registered.
  const stopClearing = clearOnShrink(opts.stdout ?? process.stdout)
  // The app exits by itself once the final `done` is drawn (after a run with failures, on `q`); a
  // run that ends without a `done` (an engine bug) still unmounts after a last frame.
  void hub.ended.then(() => {
    if (hub.summary === undefined) setTimeout(() => app.unmount(), frameMs * 3).unref()
  })
  const leave = (): void => void hub.ended.then(() => app.unmount())
  if (opts.signal?.aborted) leave()
  else opts.signal?.addEventListener('abort', leave, { once: true })
  await app.waitUntilExit().catch(() => {})
  opts.signal?.removeEventListener('abort', leave)
  stopClearing()
  return hub.summary
}
