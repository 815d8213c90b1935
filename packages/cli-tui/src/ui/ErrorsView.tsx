import { Box, Text } from 'ink'
import { type ErrorsScroll, errorsPage } from './errors-scroll.js'
import { fitText } from './fit-text.js'
import type { ErrorView } from './sync-view-state.js'

/** Props of `ErrorsView`. */
export interface ErrorsViewProps {
  /** Newest last. */
  readonly errors: readonly ErrorView[]
  /** Failures seen in all (only the latest are kept). */
  readonly total: number
  /** Rows available, the title and the key line included. */
  readonly rows: number
  readonly width: number
  /** Where it is scrolled to (see `scrollErrors`); undefined: the top. */
  readonly at?: ErrorsScroll
  readonly color?: boolean
}

/** The rows of errors an errors screen of `rows` rows shows (a title and a key line around them). */
export function errorsBodyRows(rows: number): number {
  return Math.max(1, rows - 2)
}

const n = (v: number): string => v.toLocaleString('en-US')

/**
 * The errors screen (key `e`): every kept error whole, newest first, wrapped over as many lines as
 * it needs (code and path, then the message and the hint); it scrolls when they do not all fit,
 * and the key line says which errors and lines are shown.
 */
export function ErrorsView({ errors, total, rows, width, at, color = true }: ErrorsViewProps) {
  if (total === 0) {
    return (
      <Box flexDirection="column" width={width}>
        <Text>No errors so far.</Text>
        <Text dimColor={color}>e or Esc: back</Text>
      </Box>
    )
  }
  const body = errorsBodyRows(rows)
  const page = errorsPage(errors, width, body, at)
  const kept = total > errors.length ? `, the latest ${n(errors.length)} kept` : ''
  const keys =
    page.total > body
      ? `errors ${page.firstError}–${page.lastError} of ${n(errors.length)} · lines ${page.top + 1}–${page.top + page.lines.length} of ${page.total} · ↑↓ PgUp PgDn: scroll · e or Esc: back`
      : 'e or Esc: back'
  return (
    <Box flexDirection="column" width={width}>
      <Text {...(color ? { color: 'red' } : {})} bold={color}>
        {fitText(`Errors (${n(total)}${kept}) · newest first`, width)}
      </Text>
      {page.lines.map((l) => (
        <Text key={l.key} wrap="truncate-end" dimColor={color && l.kind === 'hint'} bold={color && l.kind === 'head'}>
          {l.text}
        </Text>
      ))}
      <Text dimColor={color}>{fitText(keys, width)}</Text>
    </Box>
  )
}
