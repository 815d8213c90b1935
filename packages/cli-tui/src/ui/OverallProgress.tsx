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

/** Files and bytes done of planned, with a bar and the ETA, or what stands for it (one text node). */
export function OverallProgress(props: OverallProgressProps) {
  const { filesDone, filesPlanned, bytesDone, bytesPlanned, etaMs, listing, paused, width, color = true } = props
  const ratio = bytesPlanned > 0 ? bytesDone / bytesPlanned : filesPlanned > 0 ? filesDone / filesPlanned : 0
  const files = `${filesDone.toLocaleString('en-US')}/${filesPlanned.toLocaleString('en-US')}${listing ? '+' : ''} files`
  const bytes = `${formatBytes(bytesDone)}/${formatBytes(bytesPlanned)}`
  const eta = paused ? 'paused' : listing ? 'listing…' : etaMs !== undefined ? `ETA ${formatDuration(etaMs)}` : ''
  const pct = `${Math.floor(Math.min(1, ratio) * 100)}%`.padStart(4)
  const text = `${files}  ${bytes}  ${pct}  ${eta}`
  const barWidth = Math.max(5, width - text.length - 2)
  return (
    <Text wrap="truncate-end">
      <ProgressBar ratio={ratio} width={barWidth} color={color} /> {text}
    </Text>
  )
}
