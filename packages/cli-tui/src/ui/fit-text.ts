import { printable } from '../output/printable.js'

/** Cuts `text` to `width` columns with a trailing `…` (names are mostly narrow characters); controls escaped. */
export function fitText(raw: string, width: number): string {
  if (width <= 0) return ''
  const text = printable(raw)
  if (text.length <= width) return text
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`
}

/** Cuts a path to `width` columns keeping its end (the file name matters most): `…/deep/name.txt`. */
export function fitPath(raw: string, width: number): string {
  if (width <= 0) return ''
  const path = printable(raw)
  if (path.length <= width) return path
  return width === 1 ? '…' : `…${path.slice(path.length - (width - 1))}`
}

/** Pads or cuts `text` to exactly `width` columns. */
export function padText(text: string, width: number): string {
  const t = fitText(text, width)
  return t + ' '.repeat(Math.max(0, width - t.length))
}
