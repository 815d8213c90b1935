import { createPathFilter, toRelPath } from '@syncflow/core'
import fc from 'fast-check'
import picomatch from 'picomatch'
import { describe, expect, it } from 'vitest'
import { compileGlob, literalGlob } from '../src/filter/glob-rule.js'

/**
 * The matcher syncflow had before (QA 10 #3): picomatch's RegExp of the same pattern. Right, but
 * it backtracks: it is the reference only on short names, where that costs nothing.
 */
function picomatchRule(pattern: string): (path: string) => boolean {
  let p = literalGlob(pattern)
    .replace(/\/{2,}/g, '/')
    .replace(/\/(\.\/)+/g, '/')
    .replace(/\/+$/, '')
  const anchored = p.includes('/')
  p = p.replace(/^(\.?\/)+/, '')
  const re = picomatch.makeRe(p, { dot: true })
  return (path) => re.test(anchored ? path : path.slice(path.lastIndexOf('/') + 1))
}

// Pieces of a segment, including every special form the README names and characters that are
// special elsewhere (picomatch's extglobs, RegExp syntax). Left out, as picomatch reads them in ways
// of its own: `**` other than as a whole segment (picomatch reads `**x` at the start of a pattern
// as spanning directories, elsewhere as `*`), a brace group that can be empty (`{a,}` as a whole
// segment), ranges of several digits (see below), and characters outside the BMP (picomatch's `?`
// takes half of one).
const PIECES = [
  'a',
  'b',
  '.',
  '-',
  '1',
  '*',
  '?',
  '[ab]',
  '[!a]',
  '[^b]',
  '[a-c]',
  '[]a]',
  '[a-]',
  '{a,b}',
  '{a,b*}',
  '{a,?}',
  '{a/b,c}',
  '{a,[ab]}',
  '{1..3}',
  '{a..c}',
  '\\*',
  '\\a',
  '\\\\',
  'é',
  '(',
  ')',
  '+',
  '|',
  '@',
  '$',
  '^',
  '#',
  ' ',
  '{',
  '}',
  ',',
  '[',
  ']',
]
const segment = fc
  .array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 })
  .map((pieces) => pieces.join(''))
  .filter((s) => !s.includes('**') && s !== '.' && s !== '..')
const glob = fc
  .record({
    lead: fc.constantFrom('', '', '/'),
    segments: fc.array(fc.oneof(segment, fc.constant('**')), { minLength: 1, maxLength: 4 }),
    trail: fc.constantFrom('', '', '/'),
  })
  .map(({ lead, segments, trail }) => lead + segments.join('/') + trail)
const name = fc
  .array(
    fc.constantFrom(
      'a',
      'b',
      'c',
      '.',
      '-',
      '1',
      '2',
      '*',
      'é',
      '\\',
      '(',
      ')',
      '{',
      '}',
      ',',
      '[',
      ']',
      '?',
      '+',
      '|',
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((c) => c.join(''))
  .filter((s) => s !== '.' && s !== '..')
const path = fc.array(name, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'))

describe('glob matching agrees with picomatch', () => {
  it('on random globs and paths', () => {
    fc.assert(
      fc.property(glob, path, (pattern, p) => {
        expect(compileGlob(pattern, '--exclude').matches(p)).toBe(picomatchRule(pattern)(p))
      }),
      { numRuns: 20_000 },
    )
  })

  it('on whole-segment globs, for the pruning of --include (couldMatchBelow)', () => {
    const include = fc.array(fc.oneof(segment, fc.constant('**')), { minLength: 2, maxLength: 4 })
    fc.assert(
      fc.property(include, path, path, (segments, dir, below) => {
        const pattern = segments.join('/')
        if (!compileGlob(pattern, '--include').couldMatchBelow(dir)) {
          expect(picomatchRule(pattern)(`${dir}/${below}`)).toBe(false)
        }
      }),
      { numRuns: 5000 },
    )
  })
})

describe('glob matching without backtracking (QA 10 #3)', () => {
  // Each of these took picomatch's RegExp from seconds to hours on one name; the automaton takes
  // microseconds. A hang fails on the test's timeout (checked by vitest once the test returns).
  const A60 = 'a'.repeat(60)
  const dotted = Array.from({ length: 40 }, (_, i) => i).join('.')

  it.each(
    (
      [
        ['*a*a*a*a*a*a*a*ab', A60, false],
        ['*a*a*a*a*a*a*a*a*a*ab', A60, false],
        ['*a*a*a*a*a*a*a*a*a*ab', `${A60}b`, true],
        ['*a*a*a*a*a*a*a*a*a*ab', `x/${A60}`, false],
        ['**/*a*a*a*a*a*a*a*a*ab', `x/${A60}`, false],
        ['*.*.*.*.*.*.*.bak', `${dotted}.txt`, false],
        ['*.*.*.*.*.*.*.*.*.*.*.*.bak', `${dotted}.txt`, false],
        ['*.*.*.*.*.*.*.*.*.*.*.*.bak', `${dotted}.bak`, true],
        ['*-*-*-*-*-*-*-*-*-*-x', `${'-'.repeat(200)}y`, false],
        [`${'*a'.repeat(500)}b`, 'a'.repeat(2000), false],
        [`${'{a,b}'.repeat(40)}x`, 'a'.repeat(40), false],
        [`${'{a,b}'.repeat(40)}`, 'ab'.repeat(20), true],
        [`${'**/a*/'.repeat(20)}b`, Array(60).fill('a').join('/'), false],
      ] as const
    ).map(([pattern, p, want]) => [pattern.length, pattern, p, want] as const),
  )('%#: a glob of %s characters against a long name', { timeout: 5000 }, (_, pattern, p, want) => {
    expect(compileGlob(pattern, '--exclude').matches(p)).toBe(want)
  })

  it('stays right past the sets it keeps (a glob whose deterministic automaton is huge)', { timeout: 5000 }, () => {
    // `*a` then 11 `?`: "the 12th character from the end is an a", 2^12 sets of states.
    const m = compileGlob(`*a${'?'.repeat(11)}`, '--exclude').matches
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b'), { minLength: 10, maxLength: 40 }), (chars) => {
        const s = chars.join('')
        expect(m(s)).toBe(s.length >= 12 && s[s.length - 12] === 'a')
      }),
      { numRuns: 5000 },
    )
  })

  it('a filter of such patterns over a tree of such names', { timeout: 5000 }, () => {
    const filter = createPathFilter({
      exclude: ['*a*a*a*a*a*a*a*a*a*ab', '*.*.*.*.*.*.*.bak'],
      include: ['**/*a*a*a*a*a*a*a*a*a*aa/**'],
      ignoreRules: '*a*a*a*a*a*a*a*a*a*ab\n*.*.*.*.*.*.*.bak\n',
    })
    for (let i = 0; i < 50; i++) {
      expect(filter.isExcluded(toRelPath(`${A60}/${'a'.repeat(40 + i)}`), 'file')).toBe(false)
      expect(filter.isExcluded(toRelPath(`${A60}/${dotted}.${i}`), 'file')).toBe(false)
    }
  })
})

describe('what the automaton reads differently from picomatch, on purpose', () => {
  const matches = (pattern: string, p: string) => compileGlob(pattern, '--exclude').matches(p)

  it('expands a numeric range of several digits (picomatch read {1..10} as the class [1-10])', () => {
    expect(['1', '5', '10', '11', '0'].filter((n) => matches('{1..10}', n))).toEqual(['1', '5', '10'])
    expect(['1', '01', '09', '10'].filter((n) => matches('{01..10}', n))).toEqual(['01', '09', '10'])
  })

  it('takes a backslash in a class as an escape, as outside one (picomatch gave it to the RegExp: [\\d] was a digit)', () => {
    expect(['d', '1', '\\'].filter((n) => matches('[\\d]', n))).toEqual(['d'])
  })

  it('refuses a range too large to expand, as a usage error', () => {
    expect(() => compileGlob('{1..100000}', '--exclude')).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: expect.stringContaining('--exclude "{1..100000}": the range'),
      }),
    )
  })
})
