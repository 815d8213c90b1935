import { Box, Text } from 'ink'
import { fitText } from './fit-text.js'

/** Props of `HelpView`. */
export interface HelpViewProps {
  /** A continuous job (the keys mean the same; the text says "watch"). */
  readonly watch: boolean
  readonly width: number
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

function KeyRows({ keys, color }: { keys: readonly (readonly [string, string])[]; color: boolean }) {
  return keys.map(([key, what]) => (
    <Box key={key}>
      <Box width={KEY_COLUMN} paddingLeft={2} flexShrink={0}>
        <Text bold={color}>{key}</Text>
      </Box>
      <Text>{what}</Text>
    </Box>
  ))
}

/** The help screen (key `?`). */
export function HelpView({ watch, width, color = true, metricsUrl }: HelpViewProps) {
  return (
    <Box flexDirection="column" width={width}>
      <Text bold={color}>Keys</Text>
      <KeyRows keys={KEYS} color={color} />
      <Text bold={color}>On the errors screen</Text>
      <KeyRows keys={ERROR_KEYS} color={color} />
      <Text> </Text>
      <Text dimColor={color}>
        {watch
          ? 'Watching: changes in the source are copied once they settle; a full rescan runs periodically.'
          : 'Totals count what is planned so far; they grow while the listing runs.'}
      </Text>
      {metricsUrl ? <Text dimColor={color}>{fitText(`Prometheus metrics: ${metricsUrl}`, width)}</Text> : null}
    </Box>
  )
}
