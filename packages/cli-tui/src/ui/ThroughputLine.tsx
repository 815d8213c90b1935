import { Text } from 'ink'
import { formatRate } from '../output/format-units.js'
import { Sparkline } from './Sparkline.js'

/** Props of `ThroughputLine`. */
export interface ThroughputLineProps {
  readonly bytesPerSec: number
  readonly filesPerSec: number
  /** Bytes/s samples of the last minute, oldest first. */
  readonly history: readonly number[]
  readonly width: number
  readonly color?: boolean
}

/** The current rate and a sparkline of the last minute (one text node). */
export function ThroughputLine({ bytesPerSec, filesPerSec, history, width, color = true }: ThroughputLineProps) {
  const text = `${formatRate(bytesPerSec).padStart(12)}  ${filesPerSec.toFixed(filesPerSec < 10 ? 1 : 0).padStart(6)} files/s  `
  const spark = Math.max(0, Math.min(60, width - text.length - 8))
  return (
    <Text wrap="truncate-end">
      {text}
      {spark > 0 ? <Sparkline values={history} width={spark} color={color} /> : null}
      {spark > 0 ? <Text dimColor={color}> 1 min</Text> : null}
    </Text>
  )
}
