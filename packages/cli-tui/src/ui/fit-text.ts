import { printable } from '../output/printable.js'
import { columns, headColumns, tailColumns } from './columns.js'

/** Cuts `text` to `width` terminal columns with a trailing `…`; controls escaped. */
export function fitText(raw: string, width: number): string {
  if (width <= 0) return ''
  const text = printable(raw)
  if (columns(text) <= width) return text
  return width === 1 ? '…' : `${headColumns(text, width - 1)}…`
}

/** Cuts a path to `width` terminal columns keeping its end (the file name matters most): `…/deep/name.txt`. */
export function fitPath(raw: string, width: number): string {
  if (width <= 0) return ''
  const path = printable(raw)
  if (columns(path) <= width) return path
  return width === 1 ? '…' : `…${tailColumns(path, width - 1)}`
}

/** Pads or cuts `text` to exactly `width` terminal columns. */
export function padText(text: string, width: number): string {
  const t = fitText(text, width)
  return t + ' '.repeat(Math.max(0, width - columns(t)))
}
