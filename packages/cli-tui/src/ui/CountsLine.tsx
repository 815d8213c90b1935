import { Box, Text } from 'ink'
import type { CountsView } from './sync-view-state.js'

/** Props of `CountsLine`. */
export interface CountsLineProps {
  readonly counts: CountsView
  readonly queued: number
  readonly inFlight: number
  readonly width: number
  readonly color?: boolean
}

const n = (v: number): string => v.toLocaleString('en-US')

/** Counts of copied/updated/deleted/moved/skipped/failed, the queue length and what runs now. */
export function CountsLine({ counts, queued, inFlight, width, color = true }: CountsLineProps) {
  const wide = width >= 90
  return (
    <Box width={width} flexWrap="wrap" columnGap={2}>
      <Text>copied {n(counts.copied)}</Text>
      <Text>updated {n(counts.updated)}</Text>
      <Text>deleted {n(counts.deleted)}</Text>
      <Text>moved {n(counts.moved)}</Text>
      <Text>skipped {n(counts.skipped)}</Text>
      <Text {...(color && counts.failed > 0 ? { color: 'red' } : {})} bold={color && counts.failed > 0}>
        failed {n(counts.failed)}
      </Text>
      <Text>queue {n(queued)}</Text>
      <Text>active {n(inFlight)}</Text>
      {wide ? <Text dimColor={color}>unchanged {n(counts.unchanged)}</Text> : null}
    </Box>
  )
}
