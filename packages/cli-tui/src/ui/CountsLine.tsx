import { Box, Text } from 'ink'
import type { CountsView } from './sync-view-state.js'

/** Props of `CountsLine`. */
export interface CountsLineProps {
  readonly counts: CountsView
  readonly queued: number
  readonly inFlight: number
  readonly width: number
  readonly color?: boolean
  /** A dry run: nothing is done, the counts say what would be. */
  readonly dryRun?: boolean
}

/** One item of the counts line. */
export interface CountItem {
  readonly text: string
  /** Shown in red (failures). */
  readonly alert?: boolean
  /** Shown dim (context rather than news). */
  readonly dim?: boolean
}

const n = (v: number): string => v.toLocaleString('en-US')
/** An item's words without its number (a key: a dry run's start alike, "would copy", "would update"). */
const label = (item: CountItem): string => item.text.replace(/ [\d,]+$/, '')
const GAP = '  '

/**
 * The counts as lines of at most `width` columns, items never split across lines: copied, updated,
 * deleted, moved, skipped, failed, the queue, what runs now, and (when the terminal is wide) the
 * unchanged files.
 */
export function countLines(
  counts: CountsView,
  queued: number,
  inFlight: number,
  width: number,
  dryRun = false,
): CountItem[][] {
  // A dry run copies nothing: "copied 10,485" on its screen read as a real run's (QA 27a); its
  // summary says "would copy" too.
  const did = (done: string, would: string, v: number): CountItem => ({ text: `${dryRun ? would : done} ${n(v)}` })
  const items: CountItem[] = [
    did('copied', 'would copy', counts.copied),
    did('updated', 'would update', counts.updated),
    did('deleted', 'would delete', counts.deleted),
    did('moved', 'would move', counts.moved),
    { text: `skipped ${n(counts.skipped)}` },
    { text: `failed ${n(counts.failed)}`, ...(counts.failed > 0 ? { alert: true } : {}) },
    { text: `queue ${n(queued)}` },
    { text: `active ${n(inFlight)}` },
    ...(width >= 90 ? [{ text: `unchanged ${n(counts.unchanged)}`, dim: true }] : []),
  ]
  const lines: CountItem[][] = []
  let line: CountItem[] = []
  let used = 0
  for (const item of items) {
    const add = (line.length > 0 ? GAP.length : 0) + item.text.length
    if (line.length > 0 && used + add > width) {
      lines.push(line)
      line = []
      used = 0
    }
    used += (line.length > 0 ? GAP.length : 0) + item.text.length
    line.push(item)
  }
  if (line.length > 0) lines.push(line)
  return lines
}

/** Counts of copied/updated/deleted/moved/skipped/failed, the queue length and what runs now (one text node per line). */
export function CountsLine({ counts, queued, inFlight, width, color = true, dryRun = false }: CountsLineProps) {
  return (
    <Box flexDirection="column" width={width}>
      {countLines(counts, queued, inFlight, width, dryRun).map((line) => (
        <Text key={line[0] && label(line[0])} wrap="truncate-end">
          {line.map((item, i) => (
            <Text
              key={label(item)}
              {...(color && item.alert ? { color: 'red', bold: true } : {})}
              dimColor={color && item.dim === true}
            >
              {i > 0 ? GAP : ''}
              {item.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  )
}
