import stringWidth, { type Options } from 'string-width'
import stripAnsi from 'strip-ansi'

/**
 * Text whose every character takes one column: printable ASCII and Latin-1 (not the soft hyphen,
 * which takes none), and the dashes, quotes, bullets, ellipsis, arrows, box drawing and block
 * elements the UI draws. These are East Asian Ambiguous or Neutral, narrow as string-width counts
 * them by default; none is an emoji or combines.
 */
const ONE_COLUMN =
  /^[\x20-\x7e\xa0-\xac\xae-\xff\u2013\u2014\u2018-\u201f\u2022\u2026\u2190-\u2199\u2500-\u259f\u2717]*$/

/**
 * string-width, answering at once for text of one-column characters only. The bundle puts it in
 * place of string-width for Ink and its helpers too (scripts/bundle.mjs): string-width's first
 * measure of any non-ASCII text (a progress bar's `█`, an ellipsis) compiled its emoji RegExp,
 * ~32 ms of CPU, and Ink's wrap-ansi did the same with its own copy: about a fifth of what `ui`
 * cost over `sync --json` on a 10,000-file run (bench/watch). Same answers (tested).
 */
export default function fastStringWidth(text: string, options?: Options): number {
  if (typeof text !== 'string' || options?.ambiguousIsNarrow === false) return stringWidth(text, options)
  // Ink measures its lines with their colours in them: the escape codes take no column.
  const plain =
    options?.countAnsiEscapeCodes !== true && (text.includes('\x1b') || text.includes('\x9b')) ? stripAnsi(text) : text
  return ONE_COLUMN.test(plain) ? plain.length : stringWidth(plain, options)
}
