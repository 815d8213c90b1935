import picomatch from 'picomatch'
import { SyncError } from '../errors/sync-error.js'

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

const PICOMATCH = { dot: true } as const

/**
 * The pattern's RegExp, tested alone: picomatch's own matcher also takes a name equal to the
 * pattern's text (`\\` would then match the name `\\` as well as `\`).
 */
function matcher(glob: string): (s: string) => boolean {
  const re = picomatch.makeRe(glob, PICOMATCH)
  return (s) => re.test(s)
}

/**
 * A backslash escapes the next character, as in `.syncflowignore` (gitignore): `\*` is a star,
 * `\\` a backslash, `\s` an `s`; a trailing one stands for itself. picomatch would hand `\d`,
 * `\s`, `\b` or `\x2d` to the RegExp it builds, where they match other names (QA: `--exclude
 * 'photo\d.jpg' --delete-excluded` deleted photo1.jpg): its backslash is kept only before ASCII
 * punctuation, which a RegExp reads as itself, and dropped before anything else.
 */
function gitignoreEscapes(pattern: string): string {
  return pattern.replace(/\\(.)|\\$/gsu, (_, c: string | undefined) =>
    c === undefined ? '\\\\' : /^[!-/:-@[-`{-~]$/.test(c) ? `\\${c}` : c,
  )
}

/**
 * Compiles a glob of `--include`/`--exclude`.
 * @throws SyncError `USAGE` for an empty pattern or a leading `!`.
 */
export function compileGlob(pattern: string, flag: string): GlobRule {
  if (pattern.startsWith('!')) {
    throw new SyncError('USAGE', `${flag} ${JSON.stringify(pattern)}: "!" negation is not supported in ${flag}`, {
      hint: 'Exceptions belong in .syncflowignore (gitignore syntax, where "!pattern" re-includes); --exclude always wins over --include.',
    })
  }
  // `a//b` and `a/./b` mean what they would as paths; a leading `./`, like a leading `/`, anchors.
  let p = gitignoreEscapes(pattern)
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
    throw new SyncError('USAGE', `${flag} ${JSON.stringify(pattern)}: not a valid glob`, {
      cause: err,
      hint: 'Check the pattern’s brackets and braces.',
    })
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
