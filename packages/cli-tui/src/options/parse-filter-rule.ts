import { filterRuleParts, isSyncError } from '@syncflow/core'
import { parsePattern } from './parse-pattern.js'

/**
 * Parses a `--filter` rule: `+ GLOB`, `- GLOB` (the glob checked as an `--exclude` is) or `!`.
 * rsync's long forms and merge rules are refused here, when the flag is read, with the forms taken.
 */
export function parseFilterRule(value: string): string {
  let glob: string | undefined
  try {
    glob = filterRuleParts(value).glob
  } catch (err) {
    if (!isSyncError(err)) throw err
    // (The flag and its value are said by the parser's own words before this.)
    const why = err.message.replace(/^--filter "(?:[^"\\]|\\.)*": /, '')
    throw new Error(`${why}. ${err.hint ?? ''}`.trim())
  }
  if (glob !== undefined) parsePattern(glob)
  return value
}
