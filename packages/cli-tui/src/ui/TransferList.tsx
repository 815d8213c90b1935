import { Box, Text } from 'ink'
import { formatBytes } from '../output/format-units.js'
import { fitPath, padText } from './fit-text.js'
import { ProgressBar } from './ProgressBar.js'
import type { TransferView } from './sync-view-state.js'

/** Props of `TransferList`. */
export interface TransferListProps {
  readonly transfers: readonly TransferView[]
  /** All actions running now (more than the rows shown, maybe). */
  readonly total: number
  /** Actions started while paused and held by the pause (not in `transfers`): counted in the title. [0] */
  readonly held?: number
  /** Rows available, the title included. */
  readonly rows: number
  readonly width: number
  readonly color?: boolean
}

/**
 * The actions in flight, one per row with a per-file bar; "+N more" when they do not fit; while
 * paused, how many started actions the pause holds. Each row is one Ink text node (its parts
 * nested inside): a row of boxes would cost a layout node per part in every frame.
 */
export function TransferList({ transfers, total, held = 0, rows, width, color = true }: TransferListProps) {
  if (rows <= 0) return null
  const fit = Math.max(0, rows - 1)
  const shown = transfers.slice(0, total > fit ? Math.max(0, fit - 1) : fit)
  const more = total - shown.length
  const barWidth = width >= 100 ? 20 : 10
  const sizeWidth = 22
  const kindWidth = 7
  const pathWidth = Math.max(10, width - barWidth - sizeWidth - kindWidth - 4)
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate-end">
        <Text bold={color}>In flight ({total})</Text>
        {held > 0 ? (
          <Text {...(color ? { color: 'yellow' } : {})}> · {held.toLocaleString('en-US')} waiting for resume</Text>
        ) : null}
      </Text>
      {shown.map((t) => {
        const ratio = t.total > 0 ? t.bytes / t.total : 0
        const size = t.total > 0 ? `${formatBytes(t.bytes)}/${formatBytes(t.total)}` : ''
        return (
          <Text key={t.path} wrap="truncate-end">
            <Text dimColor={color}>{t.kind.padEnd(kindWidth)}</Text>
            {padText(fitPath(t.path, pathWidth), pathWidth)}{' '}
            {t.total > 0 ? <ProgressBar ratio={ratio} width={barWidth} color={color} /> : ' '.repeat(barWidth)}{' '}
            {size.padStart(sizeWidth - 1)}
          </Text>
        )
      })}
      {more > 0 && fit > 0 ? <Text dimColor={color}> +{more.toLocaleString('en-US')} more</Text> : null}
    </Box>
  )
}
