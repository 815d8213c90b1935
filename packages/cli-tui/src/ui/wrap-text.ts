import { printable } from '../output/printable.js'

/**
 * `raw` as lines of at most `width` columns, broken at spaces; a word longer than a line (a path)
 * is cut where the line ends and goes on on the next. The first line starts with `first`, the
 * others with `rest` (an indent), both counted in the width. Whitespace runs become one space and
 * controls are escaped (names are mostly narrow characters, as `fitText` assumes).
 */
export function wrapText(raw: string, width: number, first = '', rest = first): string[] {
  const words = printable(raw.replace(/\s+/g, ' ').trim()).split(' ')
  const lines: string[] = []
  let prefix = first
  let line = ''
  const room = (): number => Math.max(1, width - prefix.length)
  const flush = (): void => {
    lines.push(prefix + line)
    prefix = rest
    line = ''
  }
  for (let word of words) {
    if (line !== '' && line.length + 1 + word.length <= room()) {
      line += ` ${word}`
      continue
    }
    if (line !== '') flush()
    while (word.length > room()) {
      line = word.slice(0, room())
      word = word.slice(room())
      flush()
    }
    line = word
  }
  if (line !== '' || lines.length === 0) flush()
  return lines
}
