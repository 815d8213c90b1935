import { dirname } from 'node:path'
import { schemeOf } from '@syncflow/core'
import { shellQuote } from '../output/shell-quote.js'

/**
 * `--include` for the one file `name` at the top of the tree: anchored with a leading `/` (a bare
 * name also takes same-named files in every sub-directory), and its glob characters escaped with a
 * backslash, as the filter reads them (`a[1].txt` → `/a\[1\].txt`, which `a1.txt` does not match).
 */
export function includeForName(name: string): string {
  return `/${name.replace(/[\\*?[\]{}]/g, '\\$&')}`
}

/** A pattern as one shell word: in double quotes when nothing in it is special there, else in single quotes. */
function quotePattern(pattern: string): string {
  return /["$`\\!]/.test(pattern) ? `'${pattern.replace(/'/g, `'\\''`)}'` : `"${pattern}"`
}

/** The location of the directory holding the file that `location` names, as the user wrote it where possible. */
function parentOf(location: string): string {
  const trimmed = location.replace(/(.)\/+$/, '$1')
  if (schemeOf(trimmed) === 'file' && !/^file:\/\//i.test(trimmed)) return dirname(trimmed)
  const cut = trimmed.lastIndexOf('/')
  const parent = trimmed.slice(0, cut)
  // `s3://bucket/a.txt` → `s3://bucket`; `file:///a.txt` → `file:///`.
  return /^[a-z][a-z0-9+.-]*:\/*$/i.test(parent) ? `${parent}/` : parent
}

/**
 * What to run instead when the source is one file: `copy` (`move` for a move) of its directory with an anchored,
 * escaped `--include` of its name (a `sync` would delete everything else in the target).
 */
export function fileSourceHint(source: string, target: string, name: string, check = false, move = false): string {
  const include = quotePattern(includeForName(name))
  // `check FILE DST` was told how to copy the file, a write suggested for a command that only
  // compares (QA 30e): a check is told the check of the file's directory with the same --include.
  if (check) {
    const command = ['syncflow check', shellQuote(parentOf(source)), shellQuote(target)].join(' ')
    return `syncflow compares directory trees. To compare just this file: ${command} --include ${include} (the leading / takes only the file at the top, not same-named ones below).`
  }
  // `move FILE DST` was told to copy it, a run that leaves the file where it is: a move is told the
  // move of its directory with the same --include (that moves the one file).
  if (move) {
    const command = ['syncflow move', shellQuote(parentOf(source)), shellQuote(target)].join(' ')
    return `syncflow moves directory trees. To move just this file: ${command} --include ${include} (the leading / takes only the file at the top, not same-named ones below).`
  }
  const command = ['syncflow copy', shellQuote(parentOf(source)), shellQuote(target)].join(' ')
  return `syncflow syncs directory trees. To copy just this file: ${command} --include ${include} (the leading / takes only the file at the top, not same-named ones below; copy, as a sync would delete the target's other files).`
}
