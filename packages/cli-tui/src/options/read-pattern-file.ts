import { parsePattern } from './parse-pattern.js'
import { readFlagFile } from './read-flag-file.js'

/**
 * The patterns of an `--exclude-from`/`--include-from` FILE (`-` is standard input), as rsync and
 * rclone read them: one pattern a line; blank lines, and lines starting with `#` or `;`, left out;
 * a leading byte-order mark and a line's trailing `\r` (a file written on Windows: the mark voided
 * line 1 without a word, review 23 F5) and trailing blanks dropped (rclone strips them; rsync
 * keeps them, which is rarely meant and invisible in the file). rsync's `+ `/`- ` rule prefixes are
 * refused, not read as part of a pattern that then matches nothing. Each line is checked as the flag
 * checks its value, and a bad one named by its line number.
 */
export function readPatternFile(file: string): string[] {
  const text = readFlagFile(file, 'patterns')
  const patterns: string[] = []
  const lines = text.replace(/^\uFEFF/, '').split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\s+$/, '')
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    try {
      if (/^[+-] /.test(line)) {
        throw new Error(
          "rsync's + and - rule prefixes are not read here: put the patterns to include in an --include-from file, the others in an --exclude-from file, without the prefix.",
        )
      }
      patterns.push(parsePattern(line))
    } catch (err) {
      throw new Error(`${file}, line ${i + 1} (${JSON.stringify(line)}): ${err instanceof Error ? err.message : err}`)
    }
  }
  return patterns
}
