import { parsePattern } from './parse-pattern.js'
import { readFlagLines } from './read-flag-lines.js'

/**
 * The patterns of an `--exclude-from`/`--include-from` FILE (`-` is standard input), as rsync and
 * rclone read them: one pattern a line (see `readFlagLines` for comments, blank lines and line
 * ends), trailing blanks dropped (rclone strips them; rsync keeps them, which is rarely meant and
 * invisible in the file). rsync's `+ `/`- ` rule prefixes are refused, not read as part of a pattern
 * that then matches nothing. Each line is checked as the flag checks its value, and a bad one named
 * by its line number.
 */
export function readPatternFile(file: string): string[] {
  return readFlagLines(file, 'patterns').map(({ line: raw, number }) => {
    const line = raw.replace(/\s+$/, '')
    try {
      if (/^[+-] /.test(line)) {
        throw new Error(
          "rsync's + and - rule prefixes are not read here: put the patterns to include in an --include-from file, the others in an --exclude-from file, without the prefix.",
        )
      }
      return parsePattern(line)
    } catch (err) {
      throw new Error(`${file}, line ${number} (${JSON.stringify(line)}): ${err instanceof Error ? err.message : err}`)
    }
  })
}
