import { printable } from '../output/printable.js'
import { columns, headColumns } from './columns.js'

/**
 * `raw` as lines of at most `width` columns, broken at spaces; a word longer than a line (a path)
 * is cut where the line ends and goes on on the next. The first line starts with `first`, the
 * others with `rest` (an indent), both counted in the width. Whitespace runs become one space and
 * controls are escaped. Widths are terminal columns (a CJK character takes two).
 */
export function wrapText(raw: string, width: number, first = '', rest = first): string[] {
  // Line breaks and runs of spaces only: a tab in a name is escaped (`\x09`), not made a space.
  const words = printable(raw.replace(/[ \n]+/g, ' ').trim()).split(' ')
  const lines: string[] = []
  let prefix = first
  let line = ''
  const room = (): number => Math.max(1, width - columns(prefix))
  const flush = (): void => {
    lines.push(prefix + line)
    prefix = rest
    line = ''
  }
  for (let word of words) {
    if (line !== '' && columns(line) + 1 + columns(word) <= room()) {
      line += ` ${word}`
      continue
    }
    if (line !== '') flush()
    while (columns(word) > room()) {
      // At least one character per line, even one wider than the room (a 1-column terminal).
      line = headColumns(word, room()) || String.fromCodePoint(word.codePointAt(0)!)
      word = word.slice(line.length)
      flush()
    }
    line = word
  }
  if (line !== '' || lines.length === 0) flush()
  return lines
}
