import type { SerializedError } from '@syncflow/core'
import { Box, Text } from 'ink'
import type { ReactNode } from 'react'
import { CountsLine, countLines } from './CountsLine.js'
import { ErrorList } from './ErrorList.js'
import { ErrorsView } from './ErrorsView.js'
import type { ErrorsScroll } from './errors-scroll.js'
import { fitText } from './fit-text.js'
import { Header } from './Header.js'
import { HelpView } from './HelpView.js'
import type { Screen } from './key-bindings.js'
import { OverallProgress } from './OverallProgress.js'
import { summaryText } from './summary-text.js'
import type { SyncView } from './sync-view-state.js'
import { ThroughputLine } from './ThroughputLine.js'
import { TransferList } from './TransferList.js'
import type { ThroughputView } from './throughput-sampler.js'
import { wrapText } from './wrap-text.js'

/** Props of `Dashboard`. */
export interface DashboardProps {
  readonly command: string
  readonly source: string
  readonly target: string
  readonly view: SyncView
  readonly throughput: ThroughputView
  readonly columns: number
  readonly rows: number
  readonly paused: boolean
  /** Quit was asked for; the run is finishing. */
  readonly stopping: boolean
  /** The run is over and the screen stays until `q` (there are errors to read). */
  readonly lingering?: boolean
  readonly screen: Screen
  /** Where the errors screen is scrolled to; undefined: the top. */
  readonly errorsAt?: ErrorsScroll
  readonly watch: boolean
  readonly color?: boolean
  /** Where `--metrics` are served (shown on the help screen). */
  readonly metricsUrl?: string
  /** A dry run (`ui -n`): said from the first frame, before its events say so. */
  readonly dryRun?: boolean
}

/** The state word of the header. */
export function statusText(view: SyncView, stopping: boolean, watch: boolean): string {
  if (view.phase === 'done') return view.final?.interrupted ? 'interrupted' : view.final?.fatal ? 'failed' : 'done'
  if (stopping) return 'stopping…'
  if (view.phase === 'starting') return 'starting'
  if (view.phase === 'idle') return 'watching'
  return view.listing ? (watch ? 'syncing' : 'listing') : 'syncing'
}

/**
 * The run's fatal error, its code said once: a SyncError's message already starts with it
 * (`PERMISSION: bad.list: …`), one made without an operation does not.
 */
export function fatalText(fatal: Pick<SerializedError, 'code' | 'message'>): string {
  return fatal.message.startsWith(`${fatal.code}: `) ? fatal.message : `${fatal.code}: ${fatal.message}`
}

/** The width and rows of the whole screen on a terminal of `columns` x `rows` (the last row left free). */
function screenSize(columns: number, rows: number): { width: number; height: number } {
  return { width: Math.max(20, columns), height: Math.max(6, rows - 1) }
}

/** The width and rows of the errors screen (`ErrorsView`, below the header) on a terminal of `columns` x `rows`. */
export function errorsScreenSize(columns: number, rows: number): { width: number; rows: number } {
  const { width, height } = screenSize(columns, rows)
  return { width, rows: height - 1 }
}

/**
 * A screen's box: clipped to the rows above the terminal's last one when its `natural` height does
 * not fit there (a tiny terminal, 20x6). A frame that reached the last row made Ink clear the
 * terminal before each frame, with ESC [3J, which erases its scrollback: the user's history before
 * `ui` was gone (QA 27a: 195 lines of it down to 2). The header, at the top, stays.
 */
function ScreenBox({
  width,
  rows,
  natural,
  children,
}: {
  width: number
  rows: number
  natural: number
  children: ReactNode
}) {
  const limit = Math.max(1, rows - 1)
  if (natural <= limit) {
    return (
      <Box flexDirection="column" width={width}>
        {children}
      </Box>
    )
  }
  // The inner box keeps its own height (no child shrunk away, the header included): the outer one cuts its bottom.
  return (
    <Box flexDirection="column" width={width} height={limit} overflowY="hidden">
      <Box flexDirection="column" width={width} flexShrink={0}>
        {children}
      </Box>
    </Box>
  )
}

/**
 * The whole screen for one frame, sized to the terminal: header, progress, throughput, counts,
 * then the transfers in flight and the latest errors sharing the rows left (errors get up to 4).
 * It never uses the last row, so the terminal does not scroll between frames.
 */
export function Dashboard(props: DashboardProps) {
  const { view, throughput, columns, rows, paused, stopping, screen, watch, color = true } = props
  const { width, height } = screenSize(columns, rows)
  // A dry run's screen says so: it looked like a run that copied (QA 27a).
  const dryRun = props.dryRun === true || view.dryRun
  const status = statusText(view, stopping, watch)
  const header = (
    <Header
      command={props.command}
      source={props.source}
      target={props.target}
      status={dryRun ? `dry run: ${status}` : status}
      // A run that stops or has ended says so, paused or not (a stop releases what the pause holds).
      paused={paused && !stopping && view.phase !== 'done'}
      width={width}
      color={color}
    />
  )
  if (screen === 'help') {
    return (
      <ScreenBox width={width} rows={rows} natural={height}>
        {header}
        <HelpView
          watch={watch}
          width={width}
          rows={height - 1}
          color={color}
          {...(props.metricsUrl ? { metricsUrl: props.metricsUrl } : {})}
        />
      </ScreenBox>
    )
  }
  if (screen === 'errors') {
    return (
      <ScreenBox width={width} rows={rows} natural={height}>
        {header}
        <ErrorsView
          errors={view.errors}
          total={view.errorCount}
          {...errorsScreenSize(columns, rows)}
          {...(props.errorsAt ? { at: props.errorsAt } : {})}
          color={color}
        />
      </ScreenBox>
    )
  }
  const notice = view.notices.at(-1)
  // Started and held by the pause: waiting, as the queue is.
  const queued = view.queued + view.held
  const countsRows = countLines(view.counts, queued, view.inFlight, width, dryRun).length
  const fixed = 3 + countsRows + (notice ? 1 : 0)
  const left = Math.max(0, height - fixed)
  const errorRows = view.errorCount > 0 ? Math.min(4, view.errors.length + 1, Math.max(0, left - 2)) : 0
  const transferRows = left - errorRows
  // Wrapped, not cut: on a narrow terminal the end of the summary is what failed (`2 f…`, QA), and a
  // fatal error's end says what to do.
  const finalLines = view.final
    ? wrapText(`${view.final.interrupted ? 'Stopped' : 'Finished'}: ${summaryText(view.final)}`, width, '', '  ')
    : []
  const fatalLines = view.final?.fatal ? wrapText(fatalText(view.final.fatal), width, '', '  ') : []
  // A one-shot run stopped by q or Ctrl-C left work undone (its bar fell back to what finished):
  // `sync` says what to do about it, the screen said only "Stopped" (QA).
  const resumeLines =
    view.final?.interrupted && !view.final.dryRun && view.final.mode !== 'watch'
      ? wrapText('What finished is saved: run the same command again to complete it.', width, '', '  ')
      : []
  const finalRows = view.final
    ? finalLines.length + fatalLines.length + resumeLines.length + (props.lingering ? 1 : 0)
    : transferRows
  return (
    <ScreenBox width={width} rows={rows} natural={fixed + finalRows + errorRows}>
      {header}
      <OverallProgress
        filesDone={view.filesDone}
        filesPlanned={view.filesPlanned}
        bytesDone={view.bytesDone}
        bytesPlanned={view.bytesPlanned}
        {...(throughput.etaMs !== undefined && view.phase === 'running' ? { etaMs: throughput.etaMs } : {})}
        listing={view.listing && view.phase !== 'idle'}
        paused={paused && view.phase !== 'done'}
        width={width}
        color={color}
      />
      <ThroughputLine
        bytesPerSec={throughput.bytesPerSec}
        filesPerSec={throughput.filesPerSec}
        history={throughput.history}
        width={width}
        color={color}
      />
      <CountsLine
        counts={view.counts}
        queued={queued}
        inFlight={view.inFlight}
        width={width}
        color={color}
        dryRun={dryRun}
      />
      {notice ? (
        <Text {...(color ? { color: 'yellow' } : {})}>{fitText(`! ${notice.code}: ${notice.message}`, width)}</Text>
      ) : null}
      {view.final ? (
        // Not padded to the screen's height: the last frame stays on the terminal, the shell prompt right below it.
        <Box flexDirection="column" width={width}>
          <Text bold={color}>{finalLines.join('\n')}</Text>
          {fatalLines.length > 0 ? <Text>{fatalLines.join('\n')}</Text> : null}
          {resumeLines.length > 0 ? <Text dimColor={color}>{resumeLines.join('\n')}</Text> : null}
          {props.lingering ? <Text dimColor={color}>{fitText('e: all errors · q: quit', width)}</Text> : null}
        </Box>
      ) : (
        <TransferList
          transfers={view.transfers}
          total={view.inFlight}
          held={view.held}
          rows={transferRows}
          width={width}
          color={color}
        />
      )}
      <ErrorList errors={view.errors} total={view.errorCount} rows={errorRows} width={width} color={color} />
    </ScreenBox>
  )
}
