import type { SyncEvent, SyncSummary } from '@syncflow/core'
import { render } from 'ink'
import { type Observable, share, tap } from 'rxjs'
import { SyncApp } from './SyncApp.js'
import type { Pausable } from './use-paused.js'

/** What `runUi` needs. */
export interface RunUiOptions {
  /** The run (cold): subscribed once, when the UI is on screen. */
  readonly events$: Observable<SyncEvent>
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
  readonly stdout?: NodeJS.WriteStream
  readonly stdin?: NodeJS.ReadStream
  /** Frame cap of Ink. [10] */
  readonly maxFps?: number
  /** Most frequent view update, ms. [200] */
  readonly frameMs?: number
}

/**
 * Runs the Ink UI around a run until its final `done` is on screen; resolves with that summary
 * (undefined if the stream ended without one). Frames are capped (`maxFps`) and the view is
 * updated at most every `frameMs`, so drawing costs little however fast the events come.
 */
export async function runUi(opts: RunUiOptions): Promise<SyncSummary | undefined> {
  let summary: SyncSummary | undefined
  let settle: () => void = () => {}
  const ended = new Promise<void>((resolve) => {
    settle = resolve
  })
  // One subscription to the run, shared by the hooks; the tap sees each event once.
  const events$ = opts.events$.pipe(
    tap({
      next: (e) => {
        if (e.type === 'done') summary = e.summary
      },
      complete: () => settle(),
      error: () => settle(),
    }),
    share(),
  )
  const frameMs = opts.frameMs ?? 200
  const app = render(
    <SyncApp
      events$={events$}
      command={opts.command}
      source={opts.source}
      target={opts.target}
      watch={opts.watch}
      {...(opts.gate ? { gate: opts.gate } : {})}
      onQuit={opts.onQuit}
      {...(opts.onForceQuit ? { onForceQuit: opts.onForceQuit } : {})}
      color={opts.color}
      frameMs={frameMs}
    />,
    {
      ...(opts.stdout ? { stdout: opts.stdout } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
      maxFps: opts.maxFps ?? 10,
      exitOnCtrlC: false,
      patchConsole: true,
    },
  )
  // The app exits by itself once the final `done` is drawn; a stream that ends without one
  // (an engine bug) still unmounts after a last frame.
  const fallback = ended.then(
    () =>
      new Promise<void>((resolve) =>
        setTimeout(() => {
          app.unmount()
          resolve()
        }, frameMs * 3).unref(),
      ),
  )
  await Promise.race([app.waitUntilExit(), fallback])
  await app.waitUntilExit().catch(() => {})
  return summary
}
