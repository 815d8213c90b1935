import { Text } from 'ink'

/** Props of `ProgressBar`. */
export interface ProgressBarProps {
  /** Done fraction, 0..1 (clamped). */
  readonly ratio: number
  /** Width in columns. */
  readonly width: number
  readonly color?: boolean
}

/** The characters of a bar: filled part and the rest (exported for tests and plain output). */
export function progressBarText(ratio: number, width: number): string {
  const w = Math.max(0, Math.floor(width))
  const r = Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 0
  const filled = Math.round(r * w)
  return '█'.repeat(filled) + '░'.repeat(w - filled)
}

/** A horizontal bar of `width` columns, filled to `ratio`. */
export function ProgressBar({ ratio, width, color = true }: ProgressBarProps) {
  return <Text {...(color ? { color: 'green' } : {})}>{progressBarText(ratio, width)}</Text>
}
