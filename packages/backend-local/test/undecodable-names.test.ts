import { describe, expect, it } from 'vitest'
import { escapedName } from '../src/undecodable-names.js'

describe('escapedName', () => {
  it('writes valid UTF-8 as itself and every other byte as \\xNN', () => {
    const bytes = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))
    expect(escapedName(bytes('caf', [0xe9], '.txt'))).toBe('caf\\xe9.txt')
    // Multi-byte characters kept; a lone continuation byte, an overlong form and a cut sequence escaped.
    expect(escapedName(bytes('é😀', [0x80], 'x'))).toBe('é😀\\x80x')
    expect(escapedName(bytes([0xc0, 0xaf]))).toBe('\\xc0\\xaf')
    expect(escapedName(bytes('a', [0xe2, 0x82]))).toBe('a\\xe2\\x82')
    expect(escapedName(bytes([0xff]))).toBe('\\xff')
  })
})
