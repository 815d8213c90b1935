import { Box, Text } from 'ink'
import { formatBytes } from '../output/format-units.js'
import { fitPath, padText } from './fit-text.js'
import { ProgressBar } from './ProgressBar.js'
import type { TransferView } from './sync-view-state.js'
import { KIND_WIDTH, transferColumns } from './transfer-columns.js'

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
 * The actions in flight, one per row with a per-file bar (the columns: `transferColumns`); "+N
 * more" when they do not fit; while paused, how many started actions the pause holds. Each row is
 * one Ink text node (its parts nested inside): a row of boxes would cost a layout node per part in
 * every frame.
 */
export function TransferList({ transfers, total, held = 0, rows, width, color = true }: TransferListProps) {
  if (rows <= 0) return null
  const fit = Math.max(0, rows - 1)
  const shown = transfers.slice(0, total > fit ? Math.max(0, fit - 1) : fit)
  const more = total - shown.length
  const paths = shown.map((t) => t.path)
  const cols = transferColumns(width, paths)
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
        const size =
          t.total <= 0
            ? ''
            : cols.size === 'bytes'
              ? `${formatBytes(t.bytes)}/${formatBytes(t.total)}`
              : `${Math.floor(Math.min(1, ratio) * 100)}%`
        return (
          <Text key={t.path} wrap="truncate-end">
            <Text dimColor={color}>{t.kind.padEnd(KIND_WIDTH)}</Text>
            {padText(fitPath(t.path, cols.path), cols.path)}
            {cols.bar > 0 ? ' ' : ''}
            {cols.bar <= 0 ? null : t.total > 0 ? (
              <ProgressBar ratio={ratio} width={cols.bar} color={color} />
            ) : (
              ' '.repeat(cols.bar)
            )}{' '}
            {size.padStart(cols.sizeWidth)}
          </Text>
        )
      })}
      {more > 0 && fit > 0 ? <Text dimColor={color}> +{more.toLocaleString('en-US')} more</Text> : null}
    </Box>
  )
}
