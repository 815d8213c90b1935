import { isSyncError, SyncError } from '../errors/sync-error.js'
import { globMatcher } from './glob-matcher.js'

/** One `--include` or `--exclude` pattern, compiled. */
export interface GlobRule {
  /** The pattern as given. */
  readonly source: string
  /** A trailing `/`: the rule matches directories only. */
  readonly dirOnly: boolean
  /** True when the pattern had a `/` (other than a trailing one): matched against the whole path from the root. */
  readonly anchored: boolean
  /** Whether the rule matches `path` (the dir-only restriction is the caller's). */
  matches(path: string): boolean
  /** Whether the rule could match some path strictly below `dir` (conservative: true when unsure). */
  couldMatchBelow(dir: string): boolean
}

/**
 * The longest pattern taken: a path is at most 4096 bytes (PATH_MAX), so a longer pattern matches
 * nothing (its picomatch RegExp, as syncflow had, could exceed V8's size limit, failing the run as a
 * bug: QA 8 #12; the automaton would only cost time and memory for nothing).
 */
export const MAX_PATTERN_LENGTH = 4096

/** The usage error of a pattern over `MAX_PATTERN_LENGTH`, naming where it is, quoted short. */
export function patternTooLong(pattern: string, where: string): SyncError {
  return new SyncError(
    'USAGE',
    `${where} ${JSON.stringify(`${pattern.slice(0, 40)}...`)}: a pattern of ${pattern.length} characters (at most ${MAX_PATTERN_LENGTH})`,
    { hint: 'A path is at most 4096 bytes long, so no longer pattern can match: shorten it, or use a wildcard.' },
  )
}

/** A `.` or `..` segment: never in a RelPath, only in a raw name that `excludedName` tests. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/

/**
 * The pattern's matcher: an automaton, never a backtracking RegExp (see `globMatcher`). No rule
 * matches a name with a `.` or `..` segment (picomatch, which matched before, let no wildcard take
 * one): such a name is reported as unsafe rather than skipped unseen.
 */
function matcher(glob: string): (s: string) => boolean {
  const isMatch = globMatcher(glob)
  return (s) => isMatch(s) && !DOT_SEGMENT.test(s)
}

/** ASCII punctuation: a RegExp reads `\` and any of these as the character itself. */
const PUNCTUATION = /^[!-/:-@[-`{-~]$/

/**
 * The pattern in picomatch's syntax (which `parseGlob` reads), with only what the README names
 * special: `*`, `**`, `?`, `[…]`, `{a,b}` (and `{1..3}`), and a backslash that escapes the next
 * character, as in `.syncflowignore` (gitignore): `\*` is a star, `\\` a backslash, `\s` an `s`, a
 * trailing one stands for itself. Everything else is literal: picomatch would read `(…)` as a
 * group, `a|b` as alternation, `+(…)` as an extglob and `\d`, `\b`, `\x2d` as RegExp escapes, and
 * match other names than the one written (QA: `--exclude 'report (1).pdf' --delete-excluded`
 * deleted `report 1.pdf`; `'photo\d.jpg'` deleted photo1.jpg). A literal backslash is the class
 * `[\\]` (picomatch folded consecutive escaped backslashes into one; `parseGlob` keeps the form).
 */
export function literalGlob(pattern: string): string {
  let out = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '\\') {
      const next = pattern[i + 1]
      i++
      if (next === undefined || next === '\\') out += '[\\\\]'
      else out += PUNCTUATION.test(next) ? `\\${next}` : next
    } else if (c === '[') {
      // A bracket expression up to its `]` (one right after `[` or `[!` belongs to the set).
      const from = pattern[i + 1] === '!' || pattern[i + 1] === '^' ? i + 2 : i + 1
      const end = pattern.indexOf(']', from + 1)
      if (end < 0 || pattern.slice(i, end).includes('/')) out += '\\['
      else {
        // `[!a]` negates, as in gitignore and POSIX (picomatch reads `!` there as a member).
        out += pattern[i + 1] === '!' ? `[^${pattern.slice(i + 2, end + 1)}` : pattern.slice(i, end + 1)
        i = end
      }
    } else if (c === '{') {
      // `{a,b}` and `{1..3}`; a brace that opens no such group is literal.
      const end = pattern.indexOf('}', i + 1)
      const body = end < 0 ? '' : pattern.slice(i + 1, end)
      if (end > 0 && !body.includes('{') && /^[\w-]+\.\.[\w-]+$/.test(body)) {
        out += `{${body}}`
        i = end
      } else if (end > 0 && !body.includes('{') && body.includes(',')) {
        out += `{${body.split(',').map(literalGlob).join(',')}}`
        i = end
      } else out += '\\{'
    } else if (c === '*' || c === '?' || c === '/' || c === '.' || c === '-' || c === '_') out += c
    else out += PUNCTUATION.test(c) ? `\\${c}` : c
  }
  return out
}

/**
 * Compiles a glob of `--include`/`--exclude`.
 * @throws SyncError `USAGE` for an empty pattern or a leading `!`.
 */
export function compileGlob(pattern: string, flag: string): GlobRule {
  if (pattern.length > MAX_PATTERN_LENGTH) throw patternTooLong(pattern, flag)
  if (pattern.startsWith('!')) {
    throw new SyncError('USAGE', `${flag} ${JSON.stringify(pattern)}: "!" negation is not supported in ${flag}`, {
      hint: 'Exceptions belong in .syncflowignore (gitignore syntax, where "!pattern" re-includes); --exclude always wins over --include.',
    })
  }
  // `a//b` and `a/./b` mean what they would as paths; a leading `./`, like a leading `/`, anchors.
  let p = literalGlob(pattern)
    .replace(/\/{2,}/g, '/')
    .replace(/\/(\.\/)+/g, '/')
  const dirOnly = p.endsWith('/')
  p = p.replace(/\/+$/, '')
  const anchored = p.includes('/')
  p = p.replace(/^(\.?\/)+/, '')
  if (p === '') {
    throw new SyncError('USAGE', `${flag} ${JSON.stringify(pattern)}: empty pattern`, {
      hint: `Give ${flag} a glob such as "*.log", "node_modules/" or "docs/**/*.md".`,
    })
  }
  let isMatch: (s: string) => boolean
  try {
    isMatch = matcher(p)
  } catch (err) {
    throw new SyncError(
      'USAGE',
      `${flag} ${JSON.stringify(pattern)}: ${isSyncError(err) ? err.message : 'not a valid glob'}`,
      {
        cause: err,
        hint: (isSyncError(err) ? err.hint : undefined) ?? 'Check the pattern’s brackets and braces.',
      },
    )
  }
  const segments = p.split('/')
  // Braces and extglobs may hold a `/`, and a backslash may escape one, so such a pattern cannot be
  // matched segment by segment: assume it can match anywhere.
  const splittable = !/[{}()\\]/.test(p)
  const segmentMatchers = splittable ? segments.map((s) => (s === '**' ? undefined : matcher(s))) : []

  return {
    source: pattern,
    dirOnly,
    anchored,
    matches: anchored ? isMatch : (path) => isMatch(path.slice(path.lastIndexOf('/') + 1)),
    couldMatchBelow(dir) {
      if (!anchored || !splittable) return true
      const parts = dir.split('/')
      for (let i = 0; i < segmentMatchers.length; i++) {
        if (i === parts.length) return true // the pattern goes on below `dir`
        const m = segmentMatchers[i]
        if (m === undefined) return true // `**` spans any depth
        if (!m(parts[i]!)) return false
      }
      // The whole pattern matched `dir` or one of its ancestors, not something below it.
      return false
    },
  }
}
