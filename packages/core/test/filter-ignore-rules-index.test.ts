import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isSyncError } from '../src/errors/sync-error.js'
import { literalGlob, matcher } from '../src/filter/glob-rule.js'
import { compileIgnoreRules, type IgnoreRules, MAX_UNCHECKED_WILDCARD_LINES } from '../src/filter/ignore-rules.js'

// The oracle: `compileIgnoreRules` as it was before lines without wildcards became Map look-ups
// and wildcard lines got an `includes` pre-check (QA 30d #6): every line tried from the last to
// the first, each with its own matcher. Copied as it was (with its two helpers), so that the new
// one is held to the same verdict for every rule file and path.
function oracleIgnoreRules(text: string): IgnoreRules {
  const rules: { negated: boolean; dirOnly: boolean; matches: (path: string) => boolean }[] = []
  for (const line of text.split(/\r?\n/)) {
    const rule = oracleCompileLine(line)
    if (rule !== undefined) rules.push(rule)
  }
  return {
    ignores(path, isDir) {
      for (let k = rules.length - 1; k >= 0; k--) {
        const rule = rules[k]!
        if ((isDir || !rule.dirOnly) && rule.matches(path)) return !rule.negated
      }
      return false
    },
  }
}

function oracleCompileLine(line: string) {
  if (line.startsWith('#')) return undefined
  let p = oracleTrimTrailingSpaces(line)
  const negated = p.startsWith('!')
  if (negated) p = p.slice(1)
  if (p === '' || /(^|[^\\])(\\\\)*\\$/.test(p)) return undefined
  if (oracleHasUnclosedClass(p)) return undefined
  const dirOnly = p.endsWith('/')
  if (dirOnly) p = p.slice(0, -1)
  const anchored = p.includes('/')
  if (p.startsWith('/')) p = p.slice(1)
  if (p === '') return undefined
  if (/(^|\/)\*{2,}$/.test(p) && p.includes('/')) p += '/*'
  let isMatch: (s: string) => boolean
  try {
    isMatch = matcher(literalGlob(p, { braces: false }))
  } catch (err) {
    if (isSyncError(err) && err.code === 'USAGE') return undefined
    throw err
  }
  return {
    negated,
    dirOnly,
    matches: anchored ? isMatch : (path: string) => isMatch(path.slice(path.lastIndexOf('/') + 1)),
  }
}

function oracleTrimTrailingSpaces(line: string): string {
  let lastSpace = -1
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (c === ' ') {
      if (lastSpace < 0) lastSpace = i
    } else {
      if (c === '\\' && ++i >= line.length) return line
      lastSpace = -1
    }
  }
  return lastSpace < 0 ? line : line.slice(0, lastSpace)
}

function oracleHasUnclosedClass(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') i++
    else if (p[i] === '[') {
      let j = i + 1
      if (p[j] === '!' || p[j] === '^') j++
      if (p[j] === ']') j++
      for (; j < p.length && p[j] !== ']'; j++) if (p[j] === '\\') j++
      if (j >= p.length) return true
      i = j
    }
  }
  return false
}

describe('compileIgnoreRules: literal lines by look-up, wildcard lines pre-checked', () => {
  // Names from a few pieces, so that literal lines and paths often meet; the pieces of lines add
  // every kind of wildcard, escapes (of letters, stars, spaces, backslashes, `#`, `!`, `/`), dots
  // and `.`/`..` segments, non-ASCII (one a surrogate pair) and characters that picomatch or a
  // RegExp would read as special.
  const namePiece = fc.constantFrom(
    'a',
    'b',
    'ab',
    'x.y',
    '.',
    '..',
    ' ',
    '*',
    '\\',
    '#',
    '!',
    '{',
    '}',
    '[',
    ']',
    'é',
    '😀',
    '(',
  )
  const name = fc.array(namePiece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''))
  const path = fc.array(name, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))
  const linePiece = fc.oneof(
    { weight: 6, arbitrary: namePiece },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        '*',
        '**',
        '***',
        '?',
        '[ab]',
        '[!a]',
        '[a-c]',
        '[]a]',
        '[[:alpha:]]',
        '[[:nope:]]',
        '[a/b]',
        '[é😀]',
        '\\*',
        '\\?',
        '\\[',
        '\\a',
        '\\\\',
        '\\ ',
        '\\#',
        '\\!',
        '\\/',
        '\\.',
      ),
    },
  )
  const segment = fc.array(linePiece, { minLength: 1, maxLength: 3 }).map((p) => p.join(''))
  const line = fc
    .tuple(
      fc.constantFrom('', '', '', '!', '/', '!/', '#', '\\!'),
      fc.array(segment, { minLength: 1, maxLength: 3 }),
      fc.constantFrom('', '', '', '/', '  ', '//', '\\'),
    )
    .map(([lead, segments, trail]) => lead + segments.join('/') + trail)
  // Lines made from the paths asked about, so that they hit: a path (anchored) or its last name,
  // as it is (a literal line) or with a wildcard in it, `!` or not, for directories only or not,
  // put anywhere among random lines.
  const derived = (paths: readonly string[]) =>
    fc
      .array(
        fc.record({
          of: fc.nat(),
          whole: fc.boolean(),
          lead: fc.constantFrom('', '!', '/', '!/'),
          dirOnly: fc.boolean(),
          wildcard: fc.constantFrom('', '', '', '*', '?', '**'),
          at: fc.nat(),
        }),
        { maxLength: 12 },
      )
      .map((picks) =>
        picks.map(({ of, whole, lead, dirOnly, wildcard, at }) => {
          const p = paths[of % paths.length] as string
          let text = whole ? p : p.slice(p.lastIndexOf('/') + 1)
          if (wildcard === '?' || wildcard === '*') {
            const i = at % text.length
            text = text.slice(0, i) + wildcard + text.slice(i + 1)
          } else if (wildcard === '**') text = `**/${text}`
          return lead + text + (dirOnly ? '/' : '')
        }),
      )
  const caseOf = fc.array(path, { minLength: 1, maxLength: 6 }).chain((paths) =>
    fc
      .tuple(fc.array(line, { maxLength: 30 }), derived(paths), fc.array(fc.nat(), { maxLength: 12 }))
      .map(([lines, made, where]) => {
        const all = [...lines]
        made.forEach((l, i) => {
          all.splice((where[i] ?? 0) % (all.length + 1), 0, l)
        })
        return { lines: all, paths }
      }),
  )

  it('gives the verdict of every line tried from the last (random rule files and paths)', () => {
    fc.assert(
      fc.property(caseOf, ({ lines, paths }) => {
        const text = lines.join('\n')
        const ours = compileIgnoreRules(text)
        const oracle = oracleIgnoreRules(text)
        for (const p of paths) {
          for (const isDir of [false, true])
            expect([p, isDir, ours.ignores(p, isDir)]).toEqual([p, isDir, oracle.ignores(p, isDir)])
        }
      }),
      { numRuns: 4000 },
    )
  })

  it('lets the later of a literal line and a wildcard line decide, files and directories apart', () => {
    const cases: [string, string, boolean, boolean][] = [
      ['a\n!*', 'a', false, false],
      ['!*\na', 'a', false, true],
      ['a/\n!a*', 'a', true, false],
      ['!a*\na/', 'a', true, true],
      ['!a*\na/', 'a', false, false],
      ['*\n!a/', 'd/a', false, true],
      ['*\n!a/', 'd/a', true, false],
      ['/d/a\n!a\n*', 'd/a', false, true],
      ['*\n/d/a\n!a', 'd/a', false, false],
      ['*\n!a\n/d/a', 'd/a', false, true],
      ['.\n..\n!*', '.', false, false],
      ['*\n!.', '.', true, false], // no line matches a `.` segment
      ['a\\*\n!a*', 'a*', false, false],
      ['!a*\na\\*', 'a*', false, true],
    ]
    for (const [text, p, isDir, expected] of cases) {
      expect([text, p, isDir, compileIgnoreRules(text).ignores(p, isDir)]).toEqual([text, p, isDir, expected])
      expect(oracleIgnoreRules(text).ignores(p, isDir)).toBe(expected)
    }
  })

  it('takes a large file of wildcard or literal lines without trying each line on each path (a hang guard)', () => {
    // 91,918 lines `*q<n>*.z` (QA 30d #6's file, just under the 1 MiB cap) took about 0.8 µs per
    // line and path: minutes for a run of 2,000 files. A hang guard, not a speed check: about a
    // second here, where every line tried on each path is over a minute.
    const wild = Array.from({ length: 91_918 }, (_, i) => `*q${i + 1}*.z`).join('\n')
    const literal = Array.from({ length: 20_000 }, (_, i) => `lit${i}.log\n/d${i}/x`).join('\n')
    const paths = Array.from({ length: 2_000 }, (_, i) => `d${i % 20}/f${i}.txt`)
    const started = Date.now()
    const wildRules = compileIgnoreRules(`${wild}\n!*q77*.z`)
    const literalRules = compileIgnoreRules(literal)
    for (const p of paths) {
      expect(wildRules.ignores(p, false)).toBe(false)
      expect(literalRules.ignores(p, false)).toBe(false)
    }
    expect(wildRules.ignores('d1/aq12345b.z', false)).toBe(true)
    expect(wildRules.ignores('d1/aq77b.z', false)).toBe(false)
    expect(literalRules.ignores('d3/lit19999.log', false)).toBe(true)
    expect(literalRules.ignores('d19999/x', true)).toBe(true)
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('refuses more wildcard lines with no literal text than the limit, naming the count and the first', () => {
    const unchecked = Array.from({ length: MAX_UNCHECKED_WILDCARD_LINES }, (_, i) =>
      i % 2 ? `[a]*[${i}]/` : `!?[${i}]`,
    )
    // At the limit, and with any number of lines that have a literal part or none at all.
    const taken = `#\n${unchecked.join('\n')}\n${Array.from({ length: 5000 }, (_, i) => `[a]*${i}\nlit${i}`).join('\n')}`
    expect(compileIgnoreRules(taken).ignores('lit7', false)).toBe(true)
    let err: unknown
    try {
      compileIgnoreRules(`${taken}\n*`)
    } catch (e) {
      err = e
    }
    expect(isSyncError(err) && err.code).toBe('USAGE')
    expect((err as Error).message).toBe(
      `.syncflowignore has ${MAX_UNCHECKED_WILDCARD_LINES + 1} wildcard lines with no literal text (the first is line 2: "!?[0]"): at most ${MAX_UNCHECKED_WILDCARD_LINES} are taken, as each is tried on every name`,
    )
  })
})
