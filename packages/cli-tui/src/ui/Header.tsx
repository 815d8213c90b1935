import { Box, Text } from 'ink'
import { fitText } from './fit-text.js'

/** Props of `Header`. */
export interface HeaderProps {
  /** e.g. `sync`, `watch`. */
  readonly command: string
  readonly source: string
  readonly target: string
  /** What the job is doing, in a word or two. */
  readonly status: string
  readonly paused: boolean
  readonly width: number
  readonly color?: boolean
}

/** The top line: what runs, from where to where, its state, and the keys. */
export function Header({ command, source, target, status, paused, width, color = true }: HeaderProps) {
  const state = paused ? 'PAUSED' : status
  const keys = width >= 70 ? '  p pause · q quit · e errors · ? help' : '  ? help'
  const route = fitText(`${source} → ${target}`, Math.max(8, width - command.length - state.length - keys.length - 12))
  return (
    <Box width={width}>
      <Text bold={color}>syncflow {command} </Text>
      <Text>{route}</Text>
      <Text> </Text>
      <Text {...(color ? { color: paused ? 'yellow' : 'green' } : {})} bold={color}>
        [{state}]
      </Text>
      <Text dimColor={color}>{keys}</Text>
    </Box>
  )
}
