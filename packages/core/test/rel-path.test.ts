import {
  compareEntries,
  compareUtf8,
  type Entry,
  entrySortKey,
  hasUnsafeCharacter,
  isRelPath,
  type RelPath,
  relPathProblem,
  SyncError,
  toRelPath,
} from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

describe('compareUtf8', () => {
  it('orders like Buffer.compare on the UTF-8 bytes, for any strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
        // Lone surrogates encode to U+FFFD in UTF-8, so only compare well-formed strings.
        fc.pre(a.isWellFormed() && b.isWellFormed())
        expect(Math.sign(compareUtf8(a, b))).toBe(expected)
      }),
      { numRuns: 2000 },
    )
  })

  it('differs from UTF-16 order above U+FFFF', () => {
    const astral = '\u{1F600}' // surrogate pair D83D DE00
    const bmpHigh = '\uFF21' // FULLWIDTH A
    expect(astral < bmpHigh).toBe(true) // UTF-16 order
    expect(compareUtf8(astral, bmpHigh)).toBeGreaterThan(0) // UTF-8 order
  })
})

describe('compareEntries', () => {
  it('orders like compareUtf8 on the sort keys (a directory sorts as "path/"), for any entries', () => {
    const char = fc.constantFrom('a', 'b', '/', '.', '-', '0', '\u00e9', '\uffff', '\u{1F600}')
    const entry = fc.record({
      path: fc.array(char, { minLength: 1, maxLength: 6 }).map((c) => c.join('') as RelPath),
      kind: fc.constantFrom<Entry['kind']>('file', 'dir', 'symlink'),
    })
    fc.assert(
      fc.property(entry, entry, (a, b) => {
        expect(Math.sign(compareEntries(a, b))).toBe(Math.sign(compareUtf8(entrySortKey(a), entrySortKey(b))))
      }),
      { numRuns: 20_000 },
    )
  })
})

describe('RelPath', () => {
  it.each([
    ['', 'empty'],
    ['/abs', 'absolute'],
    ['a/', 'trailing'],
    ['a//b', 'empty segment'],
    ['../x', '".."'],
    ['a/./b', '"."'],
    ['a\u0000b', 'control'],
    ['\ud800x', 'surrogate'],
  ])('rejects %j (%s)', (path, why) => {
    expect(relPathProblem(path)).toContain(why)
    expect(isRelPath(path)).toBe(false)
    expect(() => toRelPath(path)).toThrow(SyncError)
  })

  it.each(['a', 'a/b c/d.txt', '.hidden/..x', 'caf\u00e9', 'cafe\u0301', '\u{1F600}/x'])('accepts %j', (path) => {
    expect(toRelPath(path)).toBe(path)
  })

  it('gives the same verdict and reason as the plain rule-by-rule check, for any string', () => {
    // The rules of the RelPath type, one by one, as relPathProblem applied them before its fast path.
    const reference = (path: string): string | undefined => {
      if (path.length === 0) return 'empty path'
      if (path.startsWith('/')) return 'absolute path (leading "/")'
      if (path.endsWith('/')) return 'trailing "/"'
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule under test
      if (/[\u0000-\u001f\u007f]/.test(path)) return 'control character in name'
      for (const seg of path.split('/')) {
        if (seg === '') return 'empty segment ("//")'
        if (seg === '.' || seg === '..') return `"${seg}" segment`
      }
      if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(path)) {
        return 'lone UTF-16 surrogate (not valid Unicode)'
      }
      return undefined
    }
    // Built from the characters that matter, so that every rule is hit often.
    const char = fc.constantFrom(
      'a',
      'Z',
      ' ',
      '.',
      '/',
      '\\',
      '\u0000',
      '\u001f',
      '\u007f',
      '\u00e9',
      '\ud83d',
      '\ude00',
      '\uffff',
    )
    fc.assert(
      fc.property(fc.array(char, { maxLength: 12 }), (chars) => {
        const path = chars.join('')
        expect(relPathProblem(path)).toBe(reference(path))
      }),
      { numRuns: 20_000 },
    )
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (path) => {
        expect(relPathProblem(path)).toBe(reference(path))
      }),
      { numRuns: 5000 },
    )
  })

  it('reports INVALID_PATH with the path and a hint', () => {
    try {
      toRelPath('../etc/passwd')
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(SyncError)
      expect((err as SyncError).code).toBe('INVALID_PATH')
      expect((err as SyncError).path).toBe('../etc/passwd')
      expect((err as SyncError).hint).toBeTruthy()
    }
  })

  it('hasUnsafeCharacter: only names invalid for a character, never for their shape', () => {
    for (const p of ['tab\tname', 'a/new\nline', 'del\u007f', 'lone\ud800', 'd\u0001/x'])
      expect(hasUnsafeCharacter(p), p).toBe(true)
    for (const p of ['ok', 'a/b', 'a//b', './x', 'x/', '/abs', '..', 'a/\tb/', '', '../\t'])
      expect(hasUnsafeCharacter(p), p).toBe(false)
  })

  it('hasUnsafeCharacter is true exactly for the invalid paths whose characters, made safe, leave a valid one', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '/', '.', '\t', '\ud800', '\n') }), (path) => {
        const safe = path.replace(/[\t\n\ud800]/g, '_')
        expect(hasUnsafeCharacter(path)).toBe(!isRelPath(path) && isRelPath(safe))
      }),
    )
  })
})
