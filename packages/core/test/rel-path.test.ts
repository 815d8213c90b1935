import { compareUtf8, isRelPath, relPathProblem, SyncError, toRelPath } from '@syncflow/core'
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

describe('RelPath', () => {
  it.each([
    ['', 'empty'],
    ['/abs', 'absolute'],
    ['a/', 'trailing'],
    ['a//b', 'empty segment'],
    ['../x', '".."'],
    ['a/./b', '"."'],
    ['a\u0000b', 'control'],
    ['a\\b', 'backslash'],
    ['\ud800x', 'surrogate'],
  ])('rejects %j (%s)', (path, why) => {
    expect(relPathProblem(path)).toContain(why)
    expect(isRelPath(path)).toBe(false)
    expect(() => toRelPath(path)).toThrow(SyncError)
  })

  it.each(['a', 'a/b c/d.txt', '.hidden/..x', 'caf\u00e9', 'cafe\u0301', '\u{1F600}/x'])('accepts %j', (path) => {
    expect(toRelPath(path)).toBe(path)
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
})
