/** Cuts `text` to `width` columns with a trailing `…` (names are mostly narrow characters). */
export function fitText(text: string, width: number): string {
  if (width <= 0) return ''
  if (text.length <= width) return text
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`
}

/** Cuts a path to `width` columns keeping its end (the file name matters most): `…/deep/name.txt`. */
export function fitPath(path: string, width: number): string {
  if (width <= 0) return ''
  if (path.length <= width) return path
  return width === 1 ? '…' : `…${path.slice(path.length - (width - 1))}`
}

/** Pads or cuts `text` to exactly `width` columns. */
export function padText(text: string, width: number): string {
  const t = fitText(text, width)
  return t + ' '.repeat(Math.max(0, width - t.length))
}
