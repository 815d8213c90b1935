import { isSyncError, SyncError } from '../errors/sync-error.js'
import { globMatcher } from './glob-matcher.js'
import { braceAlternatives, braceCuts, classEnd, closingBrace, type GlobBudget, RANGE_BODY } from './parse-glob.js'

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
export function matcher(glob: string, budget?: GlobBudget): (s: string) => boolean {
  const isMatch = globMatcher(glob, budget)
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
 * `braces: false` (gitignore's syntax) makes `{` and `}` themselves.
 */
export function literalGlob(pattern: string, { braces = true }: { readonly braces?: boolean } = {}): string {
  let out = ''
  // The `}` of each group open at `i`, innermost last, and the commas of those groups: one pass
  // over the pattern, never over a copy of a part.
  const closes: number[] = []
  const commas = new Set<number>()
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (i === closes[closes.length - 1]) {
      out += '}'
      closes.pop()
    } else if (commas.has(i)) out += ','
    else if (c === '\\') {
      const next = pattern[i + 1]
      i++
      if (next === undefined || next === '\\') out += '[\\\\]'
      // An escaped `/` is the separator (as in rclone): written bare, so that `compileOne`, which
      // reads the `/`s of the text, anchors on it and strips it when trailing (it left `a\` of
      // `a\/`, a name ending in a backslash).
      else if (next === '/') out += '/'
      else out += PUNCTUATION.test(next) ? `\\${next}` : next
    } else if (c === '[') {
      // A bracket expression up to its `]` (one right after `[` or `[!` belongs to the set; an
      // escaped one, `\]`, too), passed on as it is: `parseGlob` reads its escapes and classes.
      const end = classEnd(pattern, i)
      if (end < 0) out += '\\['
      else {
        // `[!a]` negates, as in gitignore and POSIX (picomatch reads `!` there as a member).
        out += pattern[i + 1] === '!' ? `[^${pattern.slice(i + 2, end + 1)}` : pattern.slice(i, end + 1)
        i = end
      }
    } else if (c === '{' && braces) {
      // `{a,b}` (which nests, and where `\,` and `\}` are literal) and `{1..3}`, `{1..9..2}`; a
      // brace that opens no such group is literal.
      const end = closingBrace(pattern, i)
      const body = end < 0 ? '' : pattern.slice(i + 1, end)
      const cuts = end < 0 ? [] : braceCuts(pattern, i, end)
      if (RANGE_BODY.test(body)) {
        out += `{${body}}`
        i = end
      } else if (cuts.length > 0) {
        out += '{'
        closes.push(end)
        for (const cut of cuts) commas.add(cut)
      } else out += '\\{'
    } else if (c === '*' || c === '?' || c === '/' || c === '.' || c === '-' || c === '_') out += c
    else out += PUNCTUATION.test(c) ? `\\${c}` : c
  }
  return out
}

/** The most patterns one pattern's brace groups may expand to (see `expandGroups`). */
export const MAX_EXPANSIONS = 32
/**
 * The most characters the patterns one pattern expands to may have in all. Each expansion is an
 * automaton of its own that every name goes through, so these two bound the time a name takes: 256
 * expansions of a 4000-character pattern of stars took 2 s to compile and 18 ms a name; within
 * both limits the worst is about 1 ms a name of 255 characters, as for one 4096-character pattern.
 * The time is linear in the name and in the pattern, not constant: an anchored 4096-character
 * pattern of stars against a 4000-character path takes about 0.5 s (measured at 00b0ce5).
 */
export const MAX_EXPANDED_LENGTH = 2 * MAX_PATTERN_LENGTH

/**
 * A brace alternative that has to be a pattern of its own: one with a `/` (it anchors, or ends
 * with a dir-only `/`), an empty one or one of dots (which can make a `//`, `/./` or trailing `/`),
 * one holding a group, or one with a double star (whether that spans directories depends on what
 * is around the group, which a part parsed alone cannot see: with the alternative `**`, the group
 * `{a,**}` followed by `/x` takes a top-level `x`, and `x/` then the group then `b` takes no `x/c/db`).
 */
const needsOwnPattern = (part: string): boolean =>
  part === '' || /^\.+$/.test(part) || /[/{]/.test(part) || /(^|[^\\])\*\*/.test(part)

/**
 * The patterns a glob in `literalGlob`'s syntax stands for, as the shell's brace expansion gives
 * them, so that each is anchored and dir-only on its own: `{node_modules,dist/cache}` is
 * `node_modules` (at any depth) and `dist/cache` (at the root), as `--exclude node_modules
 * --exclude dist/cache` would be (QA 11 #4). Only the groups where that makes a difference are
 * expanded (see `needsOwnPattern`); the others stay groups of one automaton, which costs nothing
 * however many there are.
 * @throws SyncError `USAGE` (without the pattern's name) past `MAX_EXPANSIONS` patterns or
 *   `MAX_EXPANDED_LENGTH` characters.
 */
export function expandGroups(glob: string, from = 0, out: string[] = []): string[] {
  for (let i = from; i < glob.length; i++) {
    const c = glob[i]
    if (c === '\\') i++
    else if (c === '[') {
      const end = classEnd(glob, i)
      if (end >= 0) i = end
    } else if (c === '{') {
      const end = closingBrace(glob, i)
      if (end < 0) continue
      const parts = RANGE_BODY.test(glob.slice(i + 1, end)) ? [] : braceAlternatives(glob, i, end)
      // `b*/**` takes no top-level `b` (picomatch's rule, see `parseGlob`), where `{a,b*}/**` as one
      // automaton would: expand it too.
      // (`//` and `/./` there are `/`, as compileOne reads them: `{a,b*}//**` is `{a,b*}/**`.)
      const tail = glob
        .slice(end + 1)
        .replace(/\/{2,}/g, '/')
        .replace(/\/(\.\/)+/g, '/')
      const starThenSubtree = (part: string) => /(^|[^\\])\*$/.test(part) && /^\/\*\*(\/\*\*)*\/*$/.test(tail)
      if (parts.length < 2 || !parts.some((part) => needsOwnPattern(part) || starThenSubtree(part))) {
        i = end
        continue
      }
      // From the start again: a group left whole before this one may now need expanding too
      // (`{a,b*}{a,}/**` gives `{a,b*}/**`, found by a random run).
      for (const part of parts) expandGroups(glob.slice(0, i) + part + glob.slice(end + 1), 0, out)
      return out
    }
  }
  out.push(glob)
  const length = out.reduce((sum, g) => sum + g.length, 0)
  if (out.length > MAX_EXPANSIONS || length > MAX_EXPANDED_LENGTH) {
    const what =
      out.length > MAX_EXPANSIONS
        ? `more than ${MAX_EXPANSIONS} patterns`
        : `patterns of more than ${MAX_EXPANDED_LENGTH} characters in all`
    throw new SyncError('USAGE', `its brace groups expand to ${what}`, {
      hint: 'A group with an alternative holding a "/", an empty one or a nested group is expanded into one pattern per alternative, as the shell does; give the alternatives as separate patterns, or use fewer such groups.',
    })
  }
  return out
}

/**
 * Compiles a glob of `--include`/`--exclude` into its rules: one, or one per pattern its brace
 * groups expand to (`expandGroups`), each anchored and dir-only on its own.
 * @throws SyncError `USAGE` for an empty pattern, a leading `!`, or an invalid or too costly one
 *   (ranges of too many values, too many expansions, an unknown `[:class:]`), naming the pattern.
 */
export function compileGlobs(pattern: string, flag: string): GlobRule[] {
  if (pattern.length > MAX_PATTERN_LENGTH) throw patternTooLong(pattern, flag)
  if (pattern.startsWith('!')) {
    throw new SyncError('USAGE', `${flag} ${JSON.stringify(pattern)}: "!" negation is not supported in ${flag}`, {
      hint: 'Exceptions belong in .syncflowignore (gitignore syntax, where "!pattern" re-includes); --exclude always wins over --include.',
    })
  }
  let rules: GlobRule[]
  try {
    // The ranges of all the expansions count together, so that expanding cannot multiply their cost.
    const budget: GlobBudget = { rangeValues: 0 }
    rules = expandGroups(literalGlob(pattern)).flatMap((p) => compileOne(pattern, p, budget))
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
  if (rules.length === 0) {
    throw new SyncError('USAGE', `${flag} ${JSON.stringify(pattern)}: empty pattern`, {
      hint: `Give ${flag} a glob such as "*.log", "node_modules/" or "docs/**/*.md".`,
    })
  }
  return rules
}

/** The rule of one expanded pattern `glob` (`literalGlob`'s syntax) of `pattern`; none when it is empty. */
function compileOne(pattern: string, glob: string, budget: GlobBudget): GlobRule[] {
  // `a//b` and `a/./b` mean what they would as paths; a leading `./`, like a leading `/`, anchors.
  let p = glob.replace(/\/{2,}/g, '/').replace(/\/(\.\/)+/g, '/')
  const dirOnly = p.endsWith('/')
  p = p.replace(/\/+$/, '')
  const anchored = p.includes('/')
  p = p.replace(/^(\.?\/)+/, '')
  if (p === '') return []
  const isMatch = matcher(p, budget)
  const segments = p.split('/')
  // Braces and extglobs may hold a `/`, and a backslash may escape one, so such a pattern cannot be
  // matched segment by segment: assume it can match anywhere.
  const splittable = !/[{}()\\]/.test(p)
  // A run of stars filling a segment (`**`, `***`) spans directories, as `parseGlob` reads it.
  const segmentMatchers = splittable ? segments.map((s) => (/^\*{2,}$/.test(s) ? undefined : matcher(s))) : []

  return [
    {
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
    },
  ]
}
