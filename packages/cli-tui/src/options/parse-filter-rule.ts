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
  // (parsePattern's words for a leading `!` speak of --exclude and --include.) rsync and rclone read
  // it as part of the name; here a glob's leading `!` would be a negation: the name is escaped.
  if (glob?.startsWith('!')) {
    throw new Error(
      `a glob starting with ! is not read (it would be a negation): for a name that starts with !, escape it: '${value.slice(0, 2)}\\${glob}'; to drop the rules before it, give '!' as a rule of its own.`,
    )
  }
  if (glob !== undefined) parsePattern(glob)
  return value
}
