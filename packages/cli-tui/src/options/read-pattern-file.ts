import { parsePattern } from './parse-pattern.js'
import { readFlagLines } from './read-flag-lines.js'

/**
 * The patterns of an `--exclude-from`/`--include-from` FILE (`-` is standard input), as rsync and
 * rclone read them: one pattern a line (see `readFlagLines` for comments, blank lines and line
 * ends), trailing blanks dropped (rclone strips them; rsync keeps them, which is rarely meant and
 * invisible in the file). rsync's `+ `/`- ` rule prefixes are refused (they belong in a `--filter-from` file), not
 * read as part of a pattern that then matches nothing. Each line is checked as the flag checks its value, and a bad one named
 * by its line number.
 */
export function readPatternFile(file: string): string[] {
  return readFlagLines(file, 'patterns').map(({ line: raw, number }) => {
    const line = trimTrailingBlanks(raw)
    try {
      if (/^[+-] /.test(line)) {
        throw new Error(
          "rules with rsync's + and - prefixes, in order, belong in a --filter-from file (the first that matches decides); an --exclude-from or --include-from file holds bare patterns.",
        )
      }
      return parsePattern(line)
    } catch (err) {
      throw new Error(`${file}, line ${number} (${JSON.stringify(line)}): ${err instanceof Error ? err.message : err}`)
    }
  })
}

/**
 * `raw` without its trailing blanks, except one escaped by a backslash (`name\ ` for a name that
 * ends in a space), as git trims a `.syncflowignore` line: stripping every blank left `name\`, a
 * lone backslash, so such a name could not be excluded from a pattern file (QA 29e).
 */
function trimTrailingBlanks(raw: string): string {
  let end = raw.length
  while (end > 0 && /\s/.test(raw[end - 1] as string)) end--
  if (end === raw.length) return raw
  let slashes = 0
  while (end - 1 - slashes >= 0 && raw[end - 1 - slashes] === '\\') slashes++
  return raw.slice(0, slashes % 2 === 1 ? end + 1 : end)
}
