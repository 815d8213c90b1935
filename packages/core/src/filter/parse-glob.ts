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

/**
 * The most values the numeric and letter ranges of one pattern hold in all (each value is an
 * alternative; a range is compiled as a trie of its values, so that a name costs little, but the
 * automaton grows with them).
 */
export const MAX_RANGE_VALUES = 10_000

/** What the parse of one pattern (and of the patterns its brace groups expand to) has taken so far. */
export interface GlobBudget {
  rangeValues: number
}

const SLASH = 0x2f

/**
 * Parses a glob in the syntax `literalGlob` writes (picomatch's, with every other special
 * character escaped): `\x` is `x`, `[…]`/`[^…]` a class (with `\x` escapes and `[:digit:]`-style
 * POSIX classes), `{a,b}` and `{1..3}`/`{1..9..2}` brace groups (which nest), `?`, `*`, and `**` as
 * a whole segment spanning directories (elsewhere it is a `*`, as in git's wildmatch).
 * @throws SyncError `USAGE` for ranges of more than `MAX_RANGE_VALUES` values in all, a range
 *   step of 0, or an unknown POSIX class.
 */
export function parseGlob(glob: string, budget: GlobBudget = { rangeValues: 0 }): GlobNode[] {
  return parseSequence(glob, true, budget)
}

/** `atSegmentStart`: whether `glob` starts a segment (a brace group's part inherits it). */
function parseSequence(glob: string, atSegmentStart: boolean, budget: GlobBudget): GlobNode[] {
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
      const end = classEnd(glob, i)
      if (end < 0) {
        out.push(literal(cp))
        i++
      } else {
        out.push({ t: 'char', test: classTest(glob.slice(from, end), from > i + 1) })
        i = end + 1
      }
    } else if (c === '{') {
      const end = closingBrace(glob, i)
      const parts = end < 0 ? undefined : braceParts(glob, i, end, budget)
      if (parts === undefined) {
        out.push(literal(cp))
        i++
      } else {
        const segStart = i === 0 ? atSegmentStart : glob[i - 1] === '/'
        out.push({
          t: 'alt',
          parts: parts.map((p) => (typeof p === 'string' ? parseSequence(p, segStart, budget) : p)),
        })
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

/** POSIX character classes, in the C locale (ASCII), as rsync's and git's wildmatch read them. */
const POSIX_CLASSES: Readonly<Record<string, readonly number[]>> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
}

/** `[:name:]`, `[=x=]` or `[.x.]` at a position (a name of at most 32 characters: the search stays short). */
const NAMED_ITEM = /\[([:=.])[^\]/]{0,32}?\1\]/y

/**
 * The class ends found lately, by string: callers scan a pattern left to right and look for the end
 * of each `[` they meet, often more than once (`closingBrace` for each `{`), and a `[` with no end
 * scans to the end of the pattern, so that without this `{{{…[[[…` took seconds to compile.
 */
const classEnds = new Map<string, Map<number, number>>()

/**
 * The index of the `]` closing the bracket expression that opens at `open`, or -1 (then the `[` is
 * literal). A `]` right after `[` or `[!`/`[^` is a member, `\x` is an escaped member, `[:name:]`
 * (also `[=x=]`, `[.x.]`) is one item; with a `/` (even escaped) it is no class: the `[` is then literal.
 */
export function classEnd(glob: string, open: number): number {
  let ends = classEnds.get(glob)
  if (ends === undefined) {
    if (classEnds.size >= 8) classEnds.clear()
    ends = new Map()
    classEnds.set(glob, ends)
  }
  let end = ends.get(open)
  if (end === undefined) {
    end = findClassEnd(glob, open)
    ends.set(open, end)
  }
  return end
}

function findClassEnd(glob: string, open: number): number {
  let i = open + 1
  if (glob[i] === '!' || glob[i] === '^') i++
  if (glob[i] === ']') i++
  for (; i < glob.length; i++) {
    const c = glob[i]
    if (c === '/') return -1
    if (c === '\\') {
      if (glob[++i] === '/') return -1
    } else if (c === '[') {
      NAMED_ITEM.lastIndex = i
      if (NAMED_ITEM.test(glob)) i = NAMED_ITEM.lastIndex - 1
    } else if (c === ']') return i
  }
  return -1
}

type ClassItem = { readonly cp: number; readonly escaped: boolean } | { readonly ranges: readonly number[] }

/**
 * The test of a bracket expression's members: `\x` is `x`, `a-z` a range of code points (a `-`
 * first or last, or escaped, is itself), `[:digit:]` and the other POSIX classes as in rsync. It
 * never matches `/`: `literalGlob` leaves no `/` in one, and a negated class excludes it, as a
 * wildcard never spans directories.
 * @throws SyncError `USAGE` for an unknown `[:name:]`, or `[=x=]`/`[.x.]` (not supported).
 */
function classTest(members: string, negated: boolean): CharTest {
  const items: ClassItem[] = []
  for (let i = 0; i < members.length; ) {
    const cp = members.codePointAt(i) as number
    NAMED_ITEM.lastIndex = i
    if (cp === 0x5b && NAMED_ITEM.test(members)) {
      const kind = members[i + 1] as string
      const close = NAMED_ITEM.lastIndex - 2
      const name = members.slice(i + 2, close)
      const ranges = kind === ':' ? POSIX_CLASSES[name] : undefined
      if (ranges === undefined) throw unknownClass(`[${kind}${name}${kind}]`, kind)
      items.push({ ranges })
      i = close + 2
      continue
    }
    i += cp > 0xffff ? 2 : 1
    if (cp === 0x5c && i < members.length) {
      const next = members.codePointAt(i) as number
      items.push({ cp: next, escaped: true })
      i += next > 0xffff ? 2 : 1
    } else items.push({ cp, escaped: false })
  }
  const ranges: number[] = []
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as ClassItem
    if ('ranges' in item) {
      ranges.push(...item.ranges)
      continue
    }
    const dash = items[k + 1]
    const hi = items[k + 2]
    if (dash && 'cp' in dash && dash.cp === 0x2d && !dash.escaped && hi && 'cp' in hi) {
      ranges.push(item.cp, hi.cp)
      k += 2
    } else ranges.push(item.cp, item.cp)
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

function unknownClass(item: string, kind: string): SyncError {
  return new SyncError(
    'USAGE',
    kind === ':'
      ? `${item} is not a POSIX character class`
      : `${item} (an equivalence class or collating symbol) is not supported`,
    {
      hint: `Inside [...], use one of ${Object.keys(POSIX_CLASSES)
        .map((n) => `[:${n}:]`)
        .join(' ')}, a range such as a-z, or the characters themselves.`,
    },
  )
}

/**
 * The index of the `}` closing the brace at `open`, or -1: groups nest, an escaped `}` or `,` is
 * literal, and a `[…]` class is one item (a `}` or `,` in it is a member). Kept so on purpose,
 * where bash would expand `[{a,b}]` first: rclone, whose `--exclude` this follows, reads a class
 * first too, and the class then means what it says alone (`[,}]` a comma or a brace).
 */
export function closingBrace(glob: string, open: number): number {
  let depth = 0
  for (let i = open; i < glob.length; i++) {
    const c = glob[i]
    if (c === '\\') i++
    else if (c === '[') {
      const end = classEnd(glob, i)
      if (end >= 0) i = end
    } else if (c === '{') depth++
    else if (c === '}' && --depth === 0) return i
  }
  return -1
}

/**
 * The indices of the commas of the brace group from `open` to `close` (`closingBrace`'s): not
 * escaped ones, nor those of a nested group or a class. Indices in `glob`, so that no caller scans
 * a copy of a part again (with nested groups, that cost seconds).
 */
export function braceCuts(glob: string, open: number, close: number): number[] {
  const cuts: number[] = []
  let depth = 0
  for (let i = open + 1; i < close; i++) {
    const c = glob[i]
    if (c === '\\') i++
    else if (c === '[') {
      const end = classEnd(glob, i)
      if (end >= 0) i = end
    } else if (c === '{') depth++
    else if (c === '}') depth--
    else if (c === ',' && depth === 0) cuts.push(i)
  }
  return cuts
}

/** The alternatives of the brace group from `open` to `close`, as text. */
export function braceAlternatives(glob: string, open: number, close: number): string[] {
  const bounds = [open, ...braceCuts(glob, open, close), close]
  return bounds.slice(1).map((to, k) => glob.slice((bounds[k] as number) + 1, to))
}

/** A range's body: `1..10`, `01..10`, `a..e`, with an optional step: `1..10..2`. */
export const RANGE_BODY = /^([\w-]+)\.\.([\w-]+)(?:\.\.(-?\d+))?$/

/**
 * A brace group's alternatives: the `,`-separated parts as glob text, or for a range the trie of
 * its values (`{1..3}`, `{1..9..2}`, `{08..11}` as bash expands them: zero-padded when an end is;
 * `{a..e}` a set of characters). `undefined` when the body makes no group (then the brace is literal).
 * @throws SyncError `USAGE` for ranges over the budget, or a step of 0.
 */
function braceParts(
  glob: string,
  open: number,
  close: number,
  budget: GlobBudget,
): (string | GlobNode[])[] | undefined {
  const body = glob.slice(open + 1, close)
  const range = RANGE_BODY.exec(body)
  if (range) return rangeParts(body, range[1] as string, range[2] as string, range[3], budget)
  const parts = braceAlternatives(glob, open, close)
  return parts.length < 2 ? undefined : parts
}

function rangeParts(
  body: string,
  a: string,
  b: string,
  step: string | undefined,
  budget: GlobBudget,
): GlobNode[][] | undefined {
  const numeric = /^-?\d+$/.test(a) && /^-?\d+$/.test(b)
  // Bash takes a character range between two letters only: `{-..0}` is no range (it would
  // hold a `/`), nor `{0..a}` or `{_..a}`. Between letters there is no `/`.
  if (!numeric && !(/^[A-Za-z]$/.test(a) && /^[A-Za-z]$/.test(b))) return undefined
  const from = numeric ? Number(a) : (a.codePointAt(0) as number)
  const to = numeric ? Number(b) : (b.codePointAt(0) as number)
  const by = step === undefined ? 1 : Math.abs(Number(step))
  if (by === 0) {
    throw new SyncError('USAGE', `the range {${body}} has a step of 0`, {
      hint: 'Give a step of 1 or more ({1..9..2}), or leave it out.',
    })
  }
  const count = Math.floor(Math.abs(to - from) / by) + 1
  budget.rangeValues += count
  if (budget.rangeValues > MAX_RANGE_VALUES) {
    const what =
      count === budget.rangeValues
        ? `has ${count} values`
        : `brings the pattern's ranges to ${budget.rangeValues} values`
    throw new SyncError('USAGE', `the range {${body}} ${what} (at most ${MAX_RANGE_VALUES} in all)`, {
      hint: 'Match digits with a class instead: "[0-9]" is one digit, "[0-9][0-9]" two; or use "*".',
    })
  }
  const sign = to >= from ? 1 : -1
  if (!numeric) {
    // `{a..e}` is one character of the set (the class `[a-e]` for a step of 1).
    const cps = new Set<number>()
    for (let k = 0; k < count; k++) cps.add(from + sign * k * by)
    return [[{ t: 'char', test: (cp) => cps.has(cp) }]]
  }
  // Zero-padded as bash pads: to the width of the longer end, its sign counted (`{-05..5}` is
  // -05 to 000 to 005, `{05..-5..3}` is 05 02 -1 -4), with the zeros after a sign.
  const padded = /^-?0\d/.test(a) || /^-?0\d/.test(b)
  const width = padded ? Math.max(a.length, b.length) : 0
  const values: string[] = []
  for (let k = 0; k < count; k++) {
    const n = from + sign * k * by
    values.push(n < 0 ? `-${String(-n).padStart(width - 1, '0')}` : String(n).padStart(width, '0'))
  }
  return trie(values)
}

/**
 * The alternatives of a set of ASCII words as a trie: words sharing a prefix share its states, so
 * that `{0..9999}` after a `*` keeps a few states alive per character, not ten thousand (QA 11 #6).
 */
function trie(words: readonly string[]): GlobNode[][] {
  const byFirst = new Map<number, string[]>()
  let empty = false
  for (const w of words) {
    if (w === '') empty = true
    else {
      const cp = w.charCodeAt(0)
      const rest = byFirst.get(cp)
      if (rest === undefined) byFirst.set(cp, [w.slice(1)])
      else rest.push(w.slice(1))
    }
  }
  const parts: GlobNode[][] = empty ? [[]] : []
  for (const [cp, rest] of byFirst) {
    const sub = trie(rest)
    parts.push(sub.length === 1 ? [literal(cp), ...(sub[0] as GlobNode[])] : [literal(cp), { t: 'alt', parts: sub }])
  }
  return parts
}
