import { Box, Text } from 'ink'
import { fitText, padText } from './fit-text.js'
import { wrapText } from './wrap-text.js'

/** Props of `HelpView`. */
export interface HelpViewProps {
  /** A continuous job (the keys mean the same; the text says "watch"). */
  readonly watch: boolean
  readonly width: number
  /** Rows it may take (below the header). [all it needs] */
  readonly rows?: number
  readonly color?: boolean
  /** Where `--metrics` are served. */
  readonly metricsUrl?: string
}

const KEYS: readonly (readonly [string, string])[] = [
  ['p', 'pause / resume (running transfers finish; no new ones start)'],
  ['q', 'quit: stop cleanly, state saved (exit 130); again: at once'],
  ['e', 'errors: all recent errors, whole'],
  ['?', 'this help'],
  ['Esc', 'back to the dashboard'],
]

/** The keys of the errors screen. */
const ERROR_KEYS: readonly (readonly [string, string])[] = [
  ['↑ ↓  k j', 'scroll a line'],
  ['PgUp PgDn', 'scroll a page (also b, Space)'],
  ['Home End', 'newest, oldest error (also g, G)'],
]

/** The key column's width, its indent included. */
const KEY_COLUMN = 13

/** One row of the help screen. */
interface HelpLine {
  readonly text: string
  /** The key column, shown bold. */
  readonly key?: string
  readonly bold?: boolean
  readonly dim?: boolean
}

/** A title and its keys, each key's words wrapped below the key (`wrap`) or cut to one row. */
function section(
  title: string,
  keys: readonly (readonly [string, string])[],
  width: number,
  wrap: boolean,
): HelpLine[] {
  const room = Math.max(1, width - KEY_COLUMN)
  return [
    { text: title, bold: true },
    ...keys.flatMap(([key, what]) =>
      (wrap ? wrapText(what, room) : [fitText(what, room)]).map((text, i) => ({
        key: padText(i === 0 ? `  ${key}` : '', KEY_COLUMN),
        text,
      })),
    ),
  ]
}

/**
 * The help screen (key `?`), in at most `rows` rows: what does not fit goes, last first (the note,
 * then the errors screen's keys, then the wrapping of the keys' words), so that the header above it
 * stays on the screen (QA 27a: on a 40x10 terminal the help was 15 rows, and the header and the
 * keys p and q were scrolled off the top).
 */
export function HelpView({ watch, width, rows = Number.POSITIVE_INFINITY, color = true, metricsUrl }: HelpViewProps) {
  const note = watch
    ? 'Watching: changes in the source are copied once they settle; a full rescan runs periodically.'
    : 'Totals count what is planned so far; they grow while the listing runs.'
  const tail: HelpLine[] = [
    { text: ' ' },
    ...wrapText(note, width).map((text) => ({ text, dim: true })),
    ...(metricsUrl ? [{ text: fitText(`Prometheus metrics: ${metricsUrl}`, width), dim: true }] : []),
  ]
  const keys = section('Keys', KEYS, width, true)
  const errorKeys = section('On the errors screen', ERROR_KEYS, width, true)
  const candidates = [
    [...keys, ...errorKeys, ...tail],
    [...keys, ...errorKeys],
    keys,
    section('Keys', KEYS, width, false),
  ]
  const lines = (candidates.find((c) => c.length <= rows) ?? (candidates.at(-1) as HelpLine[])).slice(
    0,
    Math.max(0, rows),
  )
  return (
    <Box flexDirection="column" width={width}>
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the rows of one static text, in a fixed order
        <Text key={i} wrap="truncate-end" bold={color && line.bold === true} dimColor={color && line.dim === true}>
          {line.key !== undefined ? <Text bold={color}>{line.key}</Text> : null}
          {line.text}
        </Text>
      ))}
    </Box>
  )
}
