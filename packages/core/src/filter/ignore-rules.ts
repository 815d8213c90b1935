import { isSyncError, SyncError } from '../errors/sync-error.js'
import { literalGlob, matcher } from './glob-rule.js'
import { IGNORE_FILE_NAME } from './load-ignore-file.js'
import { type GlobNode, parseGlob } from './parse-glob.js'

/** The rules of a `.syncflowignore` (gitignore syntax), compiled by `compileIgnoreRules`. */
export interface IgnoreRules {
  /**
   * Whether the last rule that matches `path` (a directory when `isDir`) ignores it (a `!rule`
   * re-includes). Only the path itself: that an ignored directory takes what is below it is the
   * caller's rule 1.
   */
  ignores(path: string, isDir: boolean): boolean
}

/** One compiled line: `index` orders the lines (a later line decides over an earlier one). */
interface IgnoreLine {
  readonly index: number
  readonly negated: boolean
  readonly dirOnly: boolean
  /** Matched against the whole path from the root, not its last name. */
  readonly anchored: boolean
  /**
   * A line without wildcards (after its escapes): the one name (or path, when anchored) it
   * matches. Its matcher is `s === literal` (see `globMatcher`), so a Map look-up decides it.
   */
  readonly literal?: string
  /** A wildcard line: its glob (`literalGlob`'s syntax) and text every match contains (`''`: none known). */
  readonly glob: string
  readonly needle: string
}

/** A wildcard line, as `ignores` tries it. */
class GlobLine {
  #matches: ((s: string) => boolean) | undefined
  constructor(
    readonly index: number,
    readonly negated: boolean,
    readonly dirOnly: boolean,
    readonly anchored: boolean,
    /** Text that every name (path, when `anchored`) the line matches contains: `''` when none is known. */
    readonly needle: string,
    readonly glob: string,
  ) {}

  /**
   * Whether the line matches `s`, the last name of the path or, when `anchored`, the path. The
   * automaton is built on first use: most lines of a large file are never tried (their needle is
   * in no name), and built at once, 92,000 of them took seconds, mostly collecting garbage.
   */
  matches(s: string): boolean {
    this.#matches ??= matcher(this.glob)
    return this.#matches(s)
  }
}

/** The highest index of a literal line of one name (or path) that applies to files, and to directories. */
interface LiteralHits {
  file: number
  dir: number
}

/**
 * The most wildcard lines with no literal text (`[ab]*`, `?*`, `*`) a `.syncflowignore` may hold.
 * Every other line is a look-up or tried only on names holding its text, but each of these is an
 * automaton tried on every name: 51,665 lines `[q]*[1]`, `[q]*[2]`, … (under the 1 MiB cap) took
 * 44 ms a path, over a minute for 2,000 files. A thousand cost well under a millisecond a path.
 */
export const MAX_UNCHECKED_WILDCARD_LINES = 1000

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
 *
 * Why not each line in turn, from the last, as before: each wildcard line is an automaton of its
 * own, about 0.8 µs a path, so a large file cost rules × paths: 92,000 lines `*q<n>*.z` (under the
 * 1 MiB cap) stalled a run of 2,000 files for many minutes, deaf to Ctrl-C (QA 30d #6). Lines
 * without wildcards are now Map look-ups, and a wildcard line whose matches must contain some text
 * is tried only on a name (path) that contains it; the last line that matches still decides.
 */
export function compileIgnoreRules(text: string): IgnoreRules {
  // Lines without wildcards, by the name (unanchored) or path (anchored) they match.
  const byName = new Map<string, LiteralHits>()
  const byPath = new Map<string, LiteralHits>()
  const negated: boolean[] = []
  // Wildcard lines, in the file's order.
  const globs: GlobLine[] = []
  // The wildcard lines with no literal text, and the number of the first (from 1).
  let unchecked = 0
  let firstUnchecked = 0
  const lines = text.split(/\r?\n/)
  for (let n = 0; n < lines.length; n++) {
    const rule = compileLine(lines[n] as string, negated.length)
    if (rule === undefined) continue
    negated.push(rule.negated)
    if (rule.literal === undefined) {
      const { index, dirOnly, anchored, needle, glob } = rule
      globs.push(new GlobLine(index, rule.negated, dirOnly, anchored, needle, glob))
      if (needle === '' && ++unchecked === 1) firstUnchecked = n + 1
      continue
    }
    const map = rule.anchored ? byPath : byName
    const hits = map.get(rule.literal)
    if (hits === undefined) map.set(rule.literal, { file: rule.dirOnly ? -1 : rule.index, dir: rule.index })
    else {
      // Lines come in ascending index: a later one of the same text supersedes the earlier.
      hits.dir = rule.index
      if (!rule.dirOnly) hits.file = rule.index
    }
  }
  if (unchecked > MAX_UNCHECKED_WILDCARD_LINES) {
    throw new SyncError(
      'USAGE',
      `${IGNORE_FILE_NAME} has ${unchecked} wildcard lines with no literal text (the first is line ${firstUnchecked}: ${JSON.stringify(shortened(lines[firstUnchecked - 1] as string))}): at most ${MAX_UNCHECKED_WILDCARD_LINES} are taken, as each is tried on every name`,
      {
        hint: 'Give such lines a literal part, as "[Dd]ebug/" and "*.log" have (a line is tried only on names that hold its text outside [...], ? and *), merge them into one class ("[ab]*" for "[a]*" and "[b]*"), or list the names themselves (a line without wildcards costs nothing).',
      },
    )
  }
  return {
    ignores(path, isDir) {
      const name = path.slice(path.lastIndexOf('/') + 1)
      // The last literal line that matches (one of the name, one of the path: the later wins).
      let best = -1
      const ofName = byName.get(name)
      if (ofName !== undefined) best = isDir ? ofName.dir : ofName.file
      const ofPath = byPath.get(path)
      if (ofPath !== undefined) best = Math.max(best, isDir ? ofPath.dir : ofPath.file)
      // A wildcard line decides only if it comes after that literal one.
      for (let k = globs.length - 1; k >= 0; k--) {
        const rule = globs[k] as GlobLine
        if (rule.index < best) break
        if (!isDir && rule.dirOnly) continue
        const s = rule.anchored ? path : name
        if (s.includes(rule.needle) && rule.matches(s)) return !rule.negated
      }
      return best >= 0 && !negated[best]
    },
  }
}

function compileLine(line: string, index: number): IgnoreLine | undefined {
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
  let glob: string
  let nodes: GlobNode[]
  try {
    glob = literalGlob(p, { braces: false })
    // What `matcher(glob)` parses; its only errors are the parse's (the automaton is built later).
    nodes = parseGlob(glob)
  } catch (err) {
    // An unknown `[:class:]` or `[=a=]` (git: the line matches nothing).
    if (isSyncError(err) && err.code === 'USAGE') return undefined
    throw err
  }
  const { literal, needle } = literalParts(nodes)
  // `globMatcher` of a glob of literal characters and slashes only is `s === literal`, so its
  // `matcher` can take no other string, and takes this one unless it refuses it (a `.` or `..`
  // segment): such a line matches nothing.
  if (literal !== undefined && !matcher(glob)(literal)) return undefined
  return { index, negated, dirOnly, anchored, literal, glob, needle }
}

/**
 * The text of a parsed glob with no wildcard (as `globMatcher` finds it), else the longest run of
 * literal characters and slashes in it. A glob is a sequence of nodes and the automaton reads them
 * in order, so a string it matches is the concatenation of what each node takes; a literal
 * character or slash takes exactly itself, so a run of them is a substring of every match.
 */
function literalParts(nodes: readonly GlobNode[]): { literal?: string; needle: string } {
  let needle = ''
  let run = ''
  let wildcard = false
  for (const n of nodes) {
    if (n.t === 'slash') run += '/'
    else if (n.t === 'char' && n.lit !== undefined) run += String.fromCodePoint(n.lit)
    else {
      wildcard = true
      if (run.length > needle.length) needle = run
      run = ''
    }
  }
  if (run.length > needle.length) needle = run
  return wildcard ? { needle } : { literal: run, needle }
}

/** A line as an error quotes it: its first 40 characters. */
const shortened = (line: string): string => (line.length > 40 ? `${line.slice(0, 40)}...` : line)

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
