import { Text } from 'ink'
import type { CycleView } from './sync-view-state.js'

/** Props of `CycleLine`. */
export interface CycleLineProps {
  readonly cycle: CycleView
  readonly color?: boolean
}

/** A finished cycle of a watch, printed once above the live screen (inside `<Static>`). */
export function CycleLine({ cycle, color = true }: CycleLineProps) {
  const time = new Date(cycle.ts).toTimeString().slice(0, 8)
  return (
    <Text {...(color && cycle.failed ? { color: 'red' } : {})}>
      {time} #{cycle.n} {cycle.text}
    </Text>
  )
}
