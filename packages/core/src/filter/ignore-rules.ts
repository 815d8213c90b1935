import { isSyncError } from '../errors/sync-error.js'
import { literalGlob, matcher } from './glob-rule.js'

/** The rules of a `.syncflowignore` (gitignore syntax), compiled by `compileIgnoreRules`. */
export interface IgnoreRules {
  /**
   * Whether the last rule that matches `path` (a directory when `isDir`) ignores it (a `!rule`
   * re-includes). Only the path itself: that an ignored directory takes what is below it is the
   * caller's rule 1.
   */
  ignores(path: string, isDir: boolean): boolean
}

interface IgnoreRule {
  readonly negated: boolean
  readonly dirOnly: boolean
  readonly matches: (path: string) => boolean
}

/**
 * Compiles the text of a `.syncflowignore` with git's rules: `#` comments, blank lines, trailing
 * spaces dropped unless escaped, `!` to re-include, a trailing `/` for directories only, a `/` at
 * the start or in the middle anchoring to the root, `*`, `?`, `[…]` (`[!…]`, POSIX classes), `**`,
 * and `\` escaping the next character; `{` is itself (gitignore has no braces).
 *
 * Why not the `ignore` package, as before: it makes each line a backtracking RegExp, where each
 * inner `**` segment is a `(?:\/[^\/]+)*`: a line `a`, six `**` segments between `x`s, `b` took 3 s
 * on one path 60 directories deep, and nine `**` segments in a row 100 s on 40; a `.syncflowignore`
 * in a source could stall a run. Each line is here an automaton of `globMatcher`, linear in the
 * path.
 *
 * A line that can match nothing in git matches nothing here, without an error (git says none):
 * one ending in a lone backslash, with a `[` that no `]` closes, or with an unknown `[:class:]`.
 * Kept from `--exclude`, unlike git: a `[…]` holding a `/` is no class (POSIX's rule), its `[` is
 * itself; git reads a class there that never matches the `/`.
 */
export function compileIgnoreRules(text: string): IgnoreRules {
  const rules: IgnoreRule[] = []
  for (const line of text.split(/\r?\n/)) {
    const rule = compileLine(line)
    if (rule !== undefined) rules.push(rule)
  }
  return {
    ignores(path, isDir) {
      for (let k = rules.length - 1; k >= 0; k--) {
        const rule = rules[k] as IgnoreRule
        if ((isDir || !rule.dirOnly) && rule.matches(path)) return !rule.negated
      }
      return false
    },
  }
}

function compileLine(line: string): IgnoreRule | undefined {
  if (line.startsWith('#')) return undefined
  let p = trimTrailingSpaces(line)
  const negated = p.startsWith('!')
  if (negated) p = p.slice(1)
  // A trailing backslash escapes nothing: git's wildmatch never matches such a line.
  if (p === '' || /(^|[^\\])(\\\\)*\\$/.test(p)) return undefined
  if (hasUnclosedClass(p)) return undefined
  // As git: one trailing `/` for directories only, one leading `/` that only anchors (`a//`,
  // `//a` or `./a` then match no path, as in git, where `--exclude` reads them as paths).
  const dirOnly = p.endsWith('/')
  if (dirOnly) p = p.slice(0, -1)
  const anchored = p.includes('/')
  if (p.startsWith('/')) p = p.slice(1)
  if (p === '') return undefined
  // `a/**` is everything inside `a`, not `a` itself (git), where `--exclude`'s `a/**` takes `a` too:
  // `a/**/*` is that, as no path ends with a `/`.
  if (/(^|\/)\*{2,}$/.test(p) && p.includes('/')) p += '/*'
  let isMatch: (s: string) => boolean
  try {
    isMatch = matcher(literalGlob(p, { braces: false }))
  } catch (err) {
    // An unknown `[:class:]` or `[=a=]` (git: the line matches nothing).
    if (isSyncError(err) && err.code === 'USAGE') return undefined
    throw err
  }
  return {
    negated,
    dirOnly,
    matches: anchored ? isMatch : (path) => isMatch(path.slice(path.lastIndexOf('/') + 1)),
  }
}

/** The line without its trailing spaces, except escaped ones (`\ `), as git's `trim_trailing_spaces`. */
function trimTrailingSpaces(line: string): string {
  let lastSpace = -1
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === ' ') {
      if (lastSpace < 0) lastSpace = i
    } else {
      // git stops there, trimming nothing: the line ends in a lone backslash.
      if (c === '\\' && ++i >= line.length) return line
      lastSpace = -1
    }
  }
  return lastSpace < 0 ? line : line.slice(0, lastSpace)
}

/** Whether a `[` opens a class that no `]` closes (git's wildmatch then matches nothing). */
function hasUnclosedClass(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++
    else if (p[i] === '[') {
      let j = i + 1
      if (p[j] === '!' || p[j] === '^') j++
      if (p[j] === ']') j++ // a `]` first is a member
      for (; j < p.length && p[j] !== ']'; j++) if (p[j] === '\\') j++
      if (j >= p.length) return true
      i = j
    }
  }
  return false
}
