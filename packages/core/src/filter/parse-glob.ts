import { SyncError } from '../errors/sync-error.js'

/** A test of one character (a code point), never of a `/` unless it is the literal `/`. */
export type CharTest = (cp: number) => boolean

/**
 * One piece of a parsed glob. Each is a small regular expression, so the whole glob is one that
 * `globMatcher` runs as an automaton (no backtracking):
 * - `char`: one character passing `test` (`lit` when that is one character);
 * - `slash`: the `/` between two segments;
 * - `star`: `[^/]*`;
 * - `any`: `.*` (a pattern that is only `**`);
 * - `dirs`: `(.*[/])?`, a leading or inner `**` segment with its `/`: no directory or any number;
 * - `subtree`: `([/].*)?`, a trailing `/` and `**` segment: the path itself or anything below it;
 * - `alt`: one of `parts` (a brace group).
 */
export type GlobNode =
  | { readonly t: 'char'; readonly test: CharTest; readonly lit?: number }
  | { readonly t: 'slash' | 'star' | 'any' | 'dirs' | 'subtree' }
  | { readonly t: 'alt'; readonly parts: readonly (readonly GlobNode[])[] }

/** A numeric brace range with more values than this is a usage error (each value is an alternative). */
export const MAX_RANGE_VALUES = 10_000

const SLASH = 0x2f

/**
 * Parses a glob in the syntax `literalGlob` writes (picomatch's, with every other special
 * character escaped): `\x` is `x`, `[…]`/`[^…]` a class, `{a,b}` and `{1..3}` brace groups (never
 * nested), `?`, `*`, and `**` as a whole segment spanning directories (elsewhere it is a `*`, as
 * in git's wildmatch).
 * @throws SyncError `USAGE` for a range of more than `MAX_RANGE_VALUES` values.
 */
export function parseGlob(glob: string): GlobNode[] {
  return parseSequence(glob, true)
}

/** `atSegmentStart`: whether `glob` starts a segment (a brace group's part inherits it). */
function parseSequence(glob: string, atSegmentStart: boolean): GlobNode[] {
  const out: GlobNode[] = []
  let i = 0
  while (i < glob.length) {
    const cp = glob.codePointAt(i) as number
    const c = String.fromCodePoint(cp)
    if (c === '\\') {
      // An escaped character is itself; a lone trailing backslash too.
      const next = glob.codePointAt(i + 1)
      const lit = next ?? cp
      out.push(lit === SLASH ? { t: 'slash' } : literal(lit))
      i += next === undefined ? 1 : String.fromCodePoint(next).length + 1
    } else if (c === '/') {
      out.push({ t: 'slash' })
      i++
    } else if (c === '?') {
      out.push({ t: 'char', test: notSlash })
      i++
    } else if (c === '*') {
      let j = i
      while (glob[j] === '*') j++
      const segStart = i === 0 ? atSegmentStart : glob[i - 1] === '/'
      const segEnd = j === glob.length || glob[j] === '/'
      const last = out[out.length - 1]
      if (j - i >= 2 && segStart && segEnd) {
        // `**/**` is one `**` (picomatch strips the repeats too).
        while (glob.startsWith('/**', j) && (j + 3 === glob.length || glob[j + 3] === '/')) j += 3
        if (glob[j] === '/') {
          out.push({ t: 'dirs' })
          j++ // the `/` belongs to the `dirs` node
        } else if (last?.t === 'slash' && out[out.length - 2]?.t === 'star') {
          // picomatch's rule, kept: after a segment ending in `*` (`*/**`, `b*/**`), the `/` is
          // needed, so `*/**` takes everything in a subdirectory but no top-level file.
          out.push({ t: 'any' })
        } else if (last?.t === 'slash') out[out.length - 1] = { t: 'subtree' }
        else out.push({ t: 'any' })
      } else if (last?.t !== 'star') out.push({ t: 'star' })
      i = j
    } else if (c === '[') {
      const from = glob[i + 1] === '^' ? i + 2 : i + 1
      // The same end as `literalGlob` found: a `]` right after `[` or `[^` is a member.
      const end = glob.indexOf(']', from + 1)
      if (end < 0) {
        out.push(literal(cp))
        i++
      } else {
        out.push({ t: 'char', test: classTest(glob.slice(from, end), from > i + 1) })
        i = end + 1
      }
    } else if (c === '{') {
      const end = closingBrace(glob, i)
      const body = end < 0 ? '' : glob.slice(i + 1, end)
      const parts = end < 0 ? undefined : braceParts(body)
      if (parts === undefined) {
        out.push(literal(cp))
        i++
      } else {
        const segStart = i === 0 ? atSegmentStart : glob[i - 1] === '/'
        out.push({ t: 'alt', parts: parts.map((p) => (typeof p === 'string' ? parseSequence(p, segStart) : p)) })
        i = end + 1
      }
    } else {
      out.push(literal(cp))
      i += c.length
    }
  }
  return out
}

const notSlash: CharTest = (cp) => cp !== SLASH

function literal(cp: number): GlobNode {
  return { t: 'char', test: (x) => x === cp, lit: cp }
}

/**
 * The test of a bracket expression's members: `\x` is `x`, `a-z` a range of code points (a `-`
 * first or last is itself). It never matches `/`: `literalGlob` leaves no `/` in one, and a negated
 * class excludes it, as a wildcard never spans directories.
 */
function classTest(members: string, negated: boolean): CharTest {
  const cps: number[] = []
  for (let i = 0; i < members.length; ) {
    const cp = members.codePointAt(i) as number
    i += cp > 0xffff ? 2 : 1
    if (cp === 0x5c && i < members.length) {
      const next = members.codePointAt(i) as number
      cps.push(next)
      i += next > 0xffff ? 2 : 1
    } else cps.push(cp)
  }
  // Ranges are read on the unescaped members, as picomatch reads `[a-z]`; an escaped `-` is taken
  // as a range sign too, which only matters for `[a\-z]`.
  const ranges: number[] = []
  for (let k = 0; k < cps.length; k++) {
    const lo = cps[k] as number
    if (cps[k + 1] === 0x2d && k + 2 < cps.length) {
      ranges.push(lo, cps[k + 2] as number)
      k += 2
    } else ranges.push(lo, lo)
  }
  return (cp) => {
    if (cp === SLASH) return false
    let inSet = false
    for (let k = 0; k < ranges.length; k += 2) {
      if (cp >= (ranges[k] as number) && cp <= (ranges[k + 1] as number)) {
        inSet = true
        break
      }
    }
    return inSet !== negated
  }
}

/** The index of the `}` closing the brace at `open` (an escaped one does not), or -1. */
function closingBrace(glob: string, open: number): number {
  for (let i = open + 1; i < glob.length; i++) {
    if (glob[i] === '\\') i++
    else if (glob[i] === '}') return i
    else if (glob[i] === '{') return -1
  }
  return -1
}

/**
 * A brace group's alternatives: the `,`-separated parts as glob text, or for a range `x..y` the
 * values as `char` nodes (`{1..3}`, `{a..c}`, `{08..11}` as bash expands it: zero-padded when an
 * end is). `undefined` when the body makes no group (then the brace is literal).
 * @throws SyncError `USAGE` for a range of more than `MAX_RANGE_VALUES` values.
 */
function braceParts(body: string): (string | GlobNode[])[] | undefined {
  const range = /^([\w-]+)\.\.([\w-]+)$/.exec(body)
  if (range) return rangeValues(body, range[1] as string, range[2] as string)
  const parts: string[] = []
  let from = 0
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\') i++
    else if (body[i] === ',') {
      parts.push(body.slice(from, i))
      from = i + 1
    }
  }
  if (parts.length === 0) return undefined
  parts.push(body.slice(from))
  return parts
}

function rangeValues(body: string, a: string, b: string): GlobNode[][] | undefined {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const lo = Math.min(Number(a), Number(b))
    const hi = Math.max(Number(a), Number(b))
    if (hi - lo + 1 > MAX_RANGE_VALUES) {
      throw new SyncError('USAGE', `the range {${body}} has more than ${MAX_RANGE_VALUES} values`, {
        hint: 'Use a wildcard such as "[0-9]" or "*" instead.',
      })
    }
    const padded = /^-?0\d/.test(a) || /^-?0\d/.test(b)
    const width = padded ? Math.max(a.replace('-', '').length, b.replace('-', '').length) : 0
    const values: GlobNode[][] = []
    for (let n = lo; n <= hi; n++) {
      const digits = String(Math.abs(n)).padStart(width, '0')
      values.push([...`${n < 0 ? '-' : ''}${digits}`].map((ch) => literal(ch.codePointAt(0) as number)))
    }
    return values
  }
  if (a.length === 1 && b.length === 1) {
    // `{a..c}` is the class `[a-c]`, as picomatch reads it.
    const lo = Math.min(a.charCodeAt(0), b.charCodeAt(0))
    const hi = Math.max(a.charCodeAt(0), b.charCodeAt(0))
    return [[{ t: 'char', test: (cp) => cp >= lo && cp <= hi }]]
  }
  return undefined
}
