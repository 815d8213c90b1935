import { formatBytes, formatDuration, formatRate } from './format-units.js'
import type { ProgressSnapshot } from './progress-tracker.js'

/** The one-line progress display: files, bytes, rate and ETA, cut to `columns`. */
export function formatProgressLine(p: ProgressSnapshot, columns: number): string {
  const parts = [
    `${p.done}/${p.planned}${p.listing ? '+' : ''} files`,
    `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesPlanned)}`,
    // Before the first rate is measured (its first second), bytes already moved read "0 B/s": none is said then (QA 20 F7).
    ...(p.bytesPerSec > 0 || p.bytesDone === 0 ? [formatRate(p.bytesPerSec)] : []),
    p.listing
      ? 'listing…'
      : p.etaMs !== undefined
        ? `ETA ${formatDuration(p.etaMs)}`
        : `${formatDuration(p.elapsedMs)}`,
  ]
  if (p.failed > 0) parts.push(`${p.failed} failed`)
  const line = parts.join('  ')
  const width = Math.max(10, columns - 1)
  return line.length > width ? `${line.slice(0, width - 1)}…` : line
}
