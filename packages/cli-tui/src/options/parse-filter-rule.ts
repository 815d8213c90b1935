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
    throw new Error(isSyncError(err) && err.hint !== undefined ? err.hint : String(err))
  }
  if (glob !== undefined) parsePattern(glob)
  return value
}
