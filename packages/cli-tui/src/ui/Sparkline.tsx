import { Text } from 'ink'

const TICKS = '▁▂▃▄▅▆▇█'

/** Props of `Sparkline`. */
export interface SparklineProps {
  /** Samples, oldest first; the last `width` are drawn. */
  readonly values: readonly number[]
  readonly width: number
  readonly color?: boolean
}

/** The characters of a sparkline, right-aligned in `width` columns, scaled to the largest value shown. */
export function sparklineText(values: readonly number[], width: number): string {
  const w = Math.max(0, Math.floor(width))
  const shown = values.slice(-w)
  const max = Math.max(0, ...shown)
  const chars = shown.map((v) => {
    if (max <= 0 || !(v > 0)) return TICKS[0]
    return TICKS[Math.min(TICKS.length - 1, Math.round((v / max) * (TICKS.length - 1)))]
  })
  return ' '.repeat(w - shown.length) + chars.join('')
}

/** A one-line chart of recent values (e.g. bytes/s over the last minute). */
export function Sparkline({ values, width, color = true }: SparklineProps) {
  return <Text {...(color ? { color: 'cyan' } : {})}>{sparklineText(values, width)}</Text>
}
