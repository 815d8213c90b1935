import { Box, Text } from 'ink'
import { failedSubject } from '../output/format-action.js'
import { fitText } from './fit-text.js'
import type { ErrorView } from './sync-view-state.js'

/** Props of `ErrorList`. */
export interface ErrorListProps {
  /** Newest last. */
  readonly errors: readonly ErrorView[]
  /** Failures seen in all (the list keeps only the latest). */
  readonly total: number
  /** Rows available, the title included. */
  readonly rows: number
  readonly width: number
  /** Show the "press e" hint in the title. [true] */
  readonly hint?: boolean
  readonly color?: boolean
}

/**
 * The message without what the line already says: a SyncError's message starts with
 * `CODE: backend.op (path): `, and the line starts with the code and the path.
 */
export function shortMessage(e: Pick<ErrorView, 'code' | 'path' | 'message'>): string {
  const prefix = `${e.code}: `
  if (!e.message.startsWith(prefix)) return e.message
  let rest = e.message.slice(prefix.length)
  const op = /^[\w.-]+/.exec(rest)?.[0]
  if (op === undefined) return e.message
  rest = rest.slice(op.length)
  if (e.path && rest.startsWith(` (${e.path})`)) rest = rest.slice(e.path.length + 3)
  return rest.startsWith(': ') ? rest.slice(2) : e.message
}

/**
 * One error as one line: `CODE path: message`; for a failure of no one file, what failed, as the
 * line output says it (`(source list)`, `(state store)`).
 */
export function errorLine(e: ErrorView, width: number): string {
  return fitText(`${e.code} ${failedSubject(e)}: ${shortMessage(e).replace(/\s+/g, ' ')}`, width)
}

/** The latest errors, newest first. Nothing at all when there are none. */
export function ErrorList({ errors, total, rows, width, hint = true, color = true }: ErrorListProps) {
  if (rows <= 1 || total === 0) return null
  const shown = errors.slice(-(rows - 1)).reverse()
  return (
    <Box flexDirection="column" width={width}>
      <Text {...(color ? { color: 'red' } : {})} bold={color}>
        Errors ({total.toLocaleString('en-US')}){hint ? ' · e: all errors' : ''}
      </Text>
      {shown.map((e) => (
        <Text key={e.id}>✗ {errorLine(e, width - 2)}</Text>
      ))}
    </Box>
  )
}
