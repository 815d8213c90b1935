import type { SyncEvent } from '@syncflow/core'
import { Box, Static, useApp, useInput, useStdin, useStdout } from 'ink'
import { useEffect, useRef, useState } from 'react'
import type { Subscribable } from 'rxjs'
import { CycleLine } from './CycleLine.js'
import { CLEAR_SCREEN, useClearOnNarrower } from './clear-on-shrink.js'
import { Dashboard, errorsScreenSize } from './Dashboard.js'
import { errorsBodyRows } from './ErrorsView.js'
import { type ErrorsScroll, scrollErrors } from './errors-scroll.js'
import { type KeyFlags, keyCommand, keyPresses, type Screen } from './key-bindings.js'
import { suspendTerminal, type TerminalSuspension } from './suspend-terminal.js'
import type { CycleView, SyncView } from './sync-view-state.js'
import { useCycleBatch } from './use-cycle-batch.js'
import { type Pausable, usePaused } from './use-paused.js'
import { useSyncEvents } from './use-sync-events.js'
import { useTerminalSize } from './use-terminal-size.js'

/** Props of `SyncApp`. */
export interface SyncAppProps {
  /** The run's events (subscribed to once, in `useSyncEvents`). */
  readonly events$: Subscribable<SyncEvent>
  readonly command: string
  readonly source: string
  readonly target: string
  /** A continuous job. */
  readonly watch: boolean
  /** Pauses the run (`p`); absent: `p` does nothing. */
  readonly gate?: Pausable
  /** Asks the run to stop cleanly (`q`, Ctrl-C). */
  readonly onQuit: () => void
  /** A second `q` / Ctrl-C while stopping: leave at once. */
  readonly onForceQuit?: () => void
  readonly color?: boolean
  /** Most frequent view update, ms. [500] */
  readonly frameMs?: number
  /** Interval of throughput samples (one point of the sparkline), ms. [1000] */
  readonly sampleMs?: number
  /** Most of the time drawing may take (see `useSyncEvents`). [0.05] */
  readonly drawBudget?: number
  /** Finished watch cycles the view keeps (see `SyncViewLimits`). [100] */
  readonly maxCycles?: number
  /** Reads keys (off where stdin is not a terminal, e.g. some tests). [true] */
  readonly keys?: boolean
  /** Called once the hooks have subscribed to `events$` (after the first render). */
  readonly onSubscribed?: () => void
  /** Where `--metrics` are served (the help screen says so). */
  readonly metricsUrl?: string
  /** A dry run (`ui -n`): the screen says so. */
  readonly dryRun?: boolean
}

/**
 * The `syncflow ui` application: hooks adapt the event stream, the terminal size, the pause gate
 * and the keys; `Dashboard` renders. Finished watch cycles go into `<Static>` (printed once, above
 * the live screen, a batch at a time: `useCycleBatch`). It exits (leaving the last frame) once the
 * run's final `done` is shown, unless the run had failures and was not asked to stop: then it stays
 * until `q`, so that every error can still be read (`e`).
 */
/**
 * Whether the finished UI stays open for the user to read the errors: after a run with failures
 * that ran to its end (not one stopped by `q` or a signal, which leaves at once).
 */
export function lingersAfterDone(view: Pick<SyncView, 'phase' | 'errorCount' | 'final'>, stopping: boolean): boolean {
  return view.phase === 'done' && view.errorCount > 0 && !stopping && view.final?.interrupted !== true
}

export function SyncApp(props: SyncAppProps) {
  const { events$, gate, onQuit, watch, color = true, frameMs = 500, sampleMs = 1000, keys = true } = props
  // Before useSyncEvents (which measures a frame's cost from its call): the view depends on it. A
  // state and an effect: nothing to measure.
  const pause = usePaused(gate)
  const { view, throughput } = useSyncEvents(events$, {
    continuous: watch,
    frameMs,
    sampleMs,
    ...(props.drawBudget !== undefined ? { drawBudget: props.drawBudget } : {}),
    ...(props.maxCycles !== undefined ? { maxCycles: props.maxCycles } : {}),
    ...(pause.since !== undefined ? { pausedSince: pause.since } : {}),
  })
  const cycles = useCycleBatch(view.cycles)
  const { columns, rows } = useTerminalSize()
  const { stdout, write } = useStdout()
  useClearOnNarrower(columns, stdout)
  // Ctrl-Z, kill -TSTP and fg: the terminal handed back and taken again (QA 31a).
  const { stdin } = useStdin()
  const suspension = useRef<TerminalSuspension | undefined>(undefined)
  useEffect(() => {
    if (!keys) return
    const s = suspendTerminal(stdin, stdout, () => write(CLEAR_SCREEN))
    suspension.current = s
    return () => {
      s.remove()
      suspension.current = undefined
    }
  }, [keys, stdin, stdout, write])
  const [screen, setScreen] = useState<Screen>('dashboard')
  const [errorsAt, setErrorsAt] = useState<ErrorsScroll | undefined>(undefined)
  const [stopping, setStopping] = useState(false)
  const { exit } = useApp()
  // What the keys act on, as of the last key, not of the last effect: Ink hands a key to the
  // handler its last passive effect subscribed, which may still be the one of the screen before (a
  // 'j' typed right after 'e' scrolled nothing: it went to the dashboard). Set by the handler for
  // the next key at once, and by each render.
  const latest = useRef({ screen, errorsAt, stopping })
  latest.current = { screen, errorsAt, stopping }

  const press = (input: string, key: KeyFlags): void => {
    const now = latest.current
    const cmd = keyCommand(input, key, now.screen)
    if (cmd.type === 'toggle-pause') gate?.toggle()
    else if (cmd.type === 'suspend') suspension.current?.suspend()
    else if (cmd.type === 'show') {
      // The errors screen opens at the top: the newest error.
      if (cmd.screen === 'errors') setErrorsAt(undefined)
      setScreen(cmd.screen)
      latest.current = { ...now, screen: cmd.screen, errorsAt: cmd.screen === 'errors' ? undefined : now.errorsAt }
    } else if (cmd.type === 'scroll') {
      const size = errorsScreenSize(columns, rows)
      const at = scrollErrors(view.errors, size.width, errorsBodyRows(size.rows), now.errorsAt, cmd)
      setErrorsAt(at)
      latest.current = { ...now, errorsAt: at }
    } else if (cmd.type === 'quit') {
      if (view.phase === 'done') {
        exit()
        return
      }
      if (now.stopping) {
        props.onForceQuit?.()
        return
      }
      setStopping(true)
      latest.current = { ...now, stopping: true }
      // A paused run must not hold up the stop: the abort releases the gate's waiters too.
      onQuit()
    }
  }
  useInput(
    (input, key) => {
      // Keys typed faster than they are read come as one chunk ("qq"): each is a key (QA 27a).
      for (const [one, flags] of keyPresses(input, key)) press(one, flags)
    },
    { isActive: keys },
  )

  // Effects run in order: the hooks above have subscribed by now.
  const { onSubscribed } = props
  useEffect(() => {
    onSubscribed?.()
  }, [onSubscribed])

  const lingering = lingersAfterDone(view, stopping)
  useEffect(() => {
    if (view.phase === 'done' && !lingering) exit()
  }, [view.phase, lingering, exit])

  return (
    <Box flexDirection="column">
      <Static key={cycles.key} items={cycles.items as CycleView[]}>
        {(c) => <CycleLine key={c.n} cycle={c} color={color} />}
      </Static>
      <Dashboard
        command={props.command}
        source={props.source}
        target={props.target}
        view={view}
        throughput={throughput}
        columns={columns}
        rows={rows}
        paused={pause.paused}
        stopping={stopping}
        lingering={lingering}
        screen={screen}
        {...(errorsAt ? { errorsAt } : {})}
        watch={watch}
        color={color}
        {...(props.metricsUrl ? { metricsUrl: props.metricsUrl } : {})}
        {...(props.dryRun ? { dryRun: true } : {})}
      />
    </Box>
  )
}
