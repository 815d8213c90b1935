import { Box, Text } from 'ink'
import { ErrorList } from './ErrorList.js'
import type { ErrorView } from './sync-view-state.js'

/** Props of `ErrorsView`. */
export interface ErrorsViewProps {
  readonly errors: readonly ErrorView[]
  readonly total: number
  readonly rows: number
  readonly width: number
  readonly color?: boolean
}

/** The errors screen (key `e`): as many of the latest errors as the terminal holds. */
export function ErrorsView({ errors, total, rows, width, color = true }: ErrorsViewProps) {
  return (
    <Box flexDirection="column" width={width}>
      {total === 0 ? <Text>No errors so far.</Text> : null}
      <ErrorList errors={errors} total={total} rows={rows - 2} width={width} hint={false} color={color} />
      {total > errors.length ? (
        <Text dimColor={color}>(the latest {errors.length} are kept; the rest are in the summary)</Text>
      ) : null}
      <Text dimColor={color}>e or Esc: back</Text>
    </Box>
  )
}
