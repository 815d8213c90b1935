import { Text } from 'ink'
import { printable } from '../output/printable.js'
import { columns } from './columns.js'
import { fitPath } from './fit-text.js'

/** Props of `Header`. */
export interface HeaderProps {
  /** e.g. `sync`, `watch`, `bisync`, `watch --bisync` (two-way: the route reads `A ⇄ B`). */
  readonly command: string
  readonly source: string
  readonly target: string
  /** What the job is doing, in a word or two. */
  readonly status: string
  readonly paused: boolean
  readonly width: number
  readonly color?: boolean
}

/** A route cut shorter than `…/src → …/dst` says little: the key hint gives way before it does. */
const MIN_ROUTE = 15
/** Shorter than `…c → …t`, a route is noise: left out. */
const MIN_ROUTE_SHOWN = 7

/**
 * The top line: what runs, from where to where, its state, and the keys. When it does not fit,
 * the key list shrinks to "? help", the route is cut, then the keys, the "syncflow" of the title
 * and the route go in turn: the state stays whole, it is what the line is for.
 */
export function Header({ command, status, paused, width, color = true, ...where }: HeaderProps) {
  // A location's control characters made visible, not sent: a source directory named with ESC ]0;…
  // BEL set the terminal's title, and ESC [2J cleared the screen, whenever the route fitted whole
  // (only a cut one was escaped, by fitPath) (QA 27a).
  const source = printable(where.source)
  const target = printable(where.target)
  const state = paused ? 'PAUSED' : status
  const arrow = /\bbisync\b/.test(command) ? '⇄' : '→'
  const full = `${source} ${arrow} ${target}`
  // The title, the route and the state, with a space between each and the brackets; the last column stays free.
  const fixed = (title: string) => columns(title) + state.length + 5
  const longKeys = `  p ${paused ? 'resume' : 'pause'} · q quit · e errors · ? help`
  const shortKeys = '  ? help'
  const longTitle = `syncflow ${command}`
  const keys =
    fixed(longTitle) + columns(full) + longKeys.length <= width
      ? longKeys
      : width - fixed(longTitle) - shortKeys.length >= Math.min(MIN_ROUTE, columns(full))
        ? shortKeys
        : ''
  const title = width - fixed(longTitle) - keys.length >= MIN_ROUTE_SHOWN ? longTitle : command
  const room = width - fixed(title) - keys.length
  // Both ends stay visible, each cut at its start (the last segments tell most).
  const half = Math.floor((room - 3) / 2)
  const route =
    columns(full) <= room
      ? full
      : room >= MIN_ROUTE_SHOWN
        ? `${fitPath(source, half)} ${arrow} ${fitPath(target, room - 3 - half)}`
        : ''
  // One Text with nested ones: spaces between the parts survive (Ink trims each Text's ends).
  return (
    <Text wrap="truncate-end">
      <Text bold={color}>{title}</Text> {route ? `${route} ` : ''}
      <Text {...(color ? { color: paused ? 'yellow' : 'green' } : {})} bold={color}>
        [{state}]
      </Text>
      <Text dimColor={color}>{keys}</Text>
    </Text>
  )
}
