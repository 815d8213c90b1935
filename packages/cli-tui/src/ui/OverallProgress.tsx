import { Text } from 'ink'
import { formatBytes, formatDuration } from '../output/format-units.js'
import { ProgressBar } from './ProgressBar.js'

/** Props of `OverallProgress`. */
export interface OverallProgressProps {
  readonly filesDone: number
  readonly filesPlanned: number
  readonly bytesDone: number
  readonly bytesPlanned: number
  readonly etaMs?: number
  /** Still listing: totals are still growing, so no ETA yet. */
  readonly listing: boolean
  /** Paused: no ETA (nothing moves until resumed); says so instead. */
  readonly paused?: boolean
  readonly width: number
  readonly color?: boolean
}

/** A narrower bar tells little: the byte totals give way first, then the bar. */
const MIN_BAR = 5
/** On a wide terminal a longer bar only pushes the numbers away from it, to the far side of the screen. */
const MAX_BAR = 50

/**
 * Files and bytes done of planned, with a bar and the ETA, or what stands for it (one text node).
 * When the line does not fit, the byte totals go first, then the bar, then the file counts: the
 * percentage and the ETA stay, they are what one looks for.
 */
export function OverallProgress(props: OverallProgressProps) {
  const { filesDone, filesPlanned, bytesDone, bytesPlanned, etaMs, listing, paused, width, color = true } = props
  const ratio = bytesPlanned > 0 ? bytesDone / bytesPlanned : filesPlanned > 0 ? filesDone / filesPlanned : 0
  const files = `${filesDone.toLocaleString('en-US')}/${filesPlanned.toLocaleString('en-US')}${listing ? '+' : ''} files`
  const bytes = `${formatBytes(bytesDone)}/${formatBytes(bytesPlanned)}`
  const eta = paused ? 'paused' : listing ? 'listing…' : etaMs !== undefined ? `ETA ${formatDuration(etaMs)}` : ''
  const pct = `${Math.floor(Math.min(1, ratio) * 100)}%`.padStart(4)
  const status = eta ? `${pct}  ${eta}` : pct
  // The last column stays free, as it always has (a bar, a space, the text, then room for 1).
  const room = (text: string) => width - text.length - 2
  const full = `${files}  ${bytes}  ${status}`
  const short = `${files}  ${status}`
  const [text, bar] =
    room(full) >= MIN_BAR
      ? [full, true]
      : room(short) >= MIN_BAR
        ? [short, true]
        : [short.length < width ? short : status, false]
  return (
    <Text wrap="truncate-end">
      {bar ? <ProgressBar ratio={ratio} width={Math.min(MAX_BAR, room(text))} color={color} /> : null}
      {bar ? ' ' : ''}
      {text}
    </Text>
  )
}
