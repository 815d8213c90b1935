import { Text } from 'ink'
import { columns } from './columns.js'
import { fitPath } from './fit-text.js'

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
  const title = `syncflow ${command}`
  const full = `${source} → ${target}`
  const fixed = title.length + state.length + 5
  // The route matters more than the key list: the keys shrink to "? help" when both do not fit.
  const longKeys = `  p ${paused ? 'resume' : 'pause'} · q quit · e errors · ? help`
  const keys = fixed + columns(full) + longKeys.length <= width ? longKeys : '  ? help'
  const room = Math.max(9, width - fixed - keys.length)
  // Both ends stay visible, each cut at its start (the last segments tell most).
  const half = Math.floor((room - 3) / 2)
  const route = columns(full) <= room ? full : `${fitPath(source, half)} → ${fitPath(target, room - 3 - half)}`
  // One Text with nested ones: spaces between the parts survive (Ink trims each Text's ends).
  return (
    <Text wrap="truncate-end">
      <Text bold={color}>{title}</Text> {route}{' '}
      <Text {...(color ? { color: paused ? 'yellow' : 'green' } : {})} bold={color}>
        [{state}]
      </Text>
      <Text dimColor={color}>{keys}</Text>
    </Text>
  )
}
