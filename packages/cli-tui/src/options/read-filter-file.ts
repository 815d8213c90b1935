import { parseFilterRule } from './parse-filter-rule.js'
import { readFlagLines } from './read-flag-lines.js'

/**
 * The rules of a `--filter-from` FILE (`-` is standard input), as rclone reads them: one rule a
 * line, blanks around it dropped (see `readFlagLines` for comments, blank lines and line ends), in
 * order. Each line is checked as `--filter` checks its value, and a bad one named by its number.
 */
export function readFilterFile(file: string): string[] {
  return readFlagLines(file, 'filter rules').map(({ line: raw, number }) => {
    const line = raw.trim()
    try {
      return parseFilterRule(line)
    } catch (err) {
      throw new Error(`${file}, line ${number} (${JSON.stringify(line)}): ${err instanceof Error ? err.message : err}`)
    }
  })
}
