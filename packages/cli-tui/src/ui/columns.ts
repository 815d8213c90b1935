import stringWidth from './fast-string-width.js'

/** Printable ASCII: one column per character, the common case, measured without segmenting. */
const NARROW = /^[\x20-\x7e]*$/
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/**
 * Terminal columns `text` takes: a CJK character or an emoji takes two, a combining mark none
 * (string-width, as Ink itself measures). Counting characters instead cut such names mid-line or
 * let them overflow it.
 */
export function columns(text: string): number {
  // fast-string-width answers at once for one-column text (ASCII included).
  return stringWidth(text)
}

/** The longest start of `text` that fits in `width` columns, never splitting a character cluster. */
export function headColumns(text: string, width: number): string {
  if (width <= 0) return ''
  if (NARROW.test(text)) return text.slice(0, width)
  let used = 0
  let end = 0
  for (const { segment, index } of graphemes.segment(text)) {
    const w = stringWidth(segment)
    if (used + w > width) break
    used += w
    end = index + segment.length
  }
  return text.slice(0, end)
}

/** The longest end of `text` that fits in `width` columns, never splitting a character cluster. */
export function tailColumns(text: string, width: number): string {
  if (width <= 0) return ''
  if (NARROW.test(text)) return text.slice(Math.max(0, text.length - width))
  const parts = [...graphemes.segment(text)]
  let used = 0
  let start = text.length
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = stringWidth(parts[i]!.segment)
    if (used + w > width) break
    used += w
    start = parts[i]!.index
  }
  return text.slice(start)
}
