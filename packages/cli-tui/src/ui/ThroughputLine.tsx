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

/**
 * The current rate and a sparkline of the last minute (one text node). Where the line does not
 * fit, the sparkline goes first, then the files/s, then the padding: a number is never cut in two.
 */
export function ThroughputLine({ bytesPerSec, filesPerSec, history, width, color = true }: ThroughputLineProps) {
  const bytes = formatRate(bytesPerSec)
  const files = `${filesPerSec.toFixed(filesPerSec < 10 ? 1 : 0)} files/s`
  const full = `${bytes.padStart(12)}  ${files.padStart(14)}  `
  const short = `${bytes}  ${files}  `
  const text = full.length <= width ? full : short.length <= width ? short : `${bytes}  `
  const spark = Math.max(0, Math.min(60, width - text.length - 8))
  return (
    <Text wrap="truncate-end">
      {text}
      {spark > 0 ? <Sparkline values={history} width={spark} color={color} /> : null}
      {spark > 0 ? <Text dimColor={color}> 1 min</Text> : null}
    </Text>
  )
}
