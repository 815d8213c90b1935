import { failedSubject } from '../output/format-action.js'
import type { ErrorView } from './sync-view-state.js'
import { wrapText } from './wrap-text.js'

/** One line of an error on the errors screen. */
export interface ErrorLine {
  readonly text: string
  /** The error's first line (`✗ CODE path`), the rest is its message or hint. */
  readonly kind: 'head' | 'message' | 'hint'
}

/**
 * The message without what the head line says: a SyncError's message starts with
 * `CODE: backend.op (path): `; the code and the path are on the head line, the operation stays
 * (`local.copyFrom: EPERM: …`).
 */
export function messageText(e: Pick<ErrorView, 'code' | 'path' | 'message'>): string {
  const prefix = `${e.code}: `
  if (!e.message.startsWith(prefix)) return e.message
  const rest = e.message.slice(prefix.length)
  const op = /^[\w.-]+/.exec(rest)?.[0]
  if (op === undefined || !e.path || !rest.startsWith(` (${e.path}): `, op.length)) return rest
  return `${op}: ${rest.slice(op.length + e.path.length + 5)}`
}

/**
 * One error, whole, wrapped to `width` columns: `✗ CODE path` (or what failed, as the line output
 * says it: `(source list)`), then the message and the hint (if
 * any), indented. Nothing is cut: a long path or message takes as many lines as it needs.
 */
export function errorLines(e: ErrorView, width: number): ErrorLine[] {
  const lines: ErrorLine[] = wrapText(`${e.code} ${failedSubject(e)}`, width, '✗ ', '  ').map((text) => ({
    text,
    kind: 'head',
  }))
  for (const text of wrapText(messageText(e), width, '  ')) lines.push({ text, kind: 'message' })
  if (e.hint) for (const text of wrapText(e.hint, width, '  hint: ', '        ')) lines.push({ text, kind: 'hint' })
  return lines
}
