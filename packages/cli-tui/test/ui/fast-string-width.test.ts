import fc from 'fast-check'
import stringWidth from 'string-width'
import { describe, expect, it } from 'vitest'
import fastStringWidth from '../../src/ui/fast-string-width.js'

// The fast path must never change an answer: Ink lays the screen out with it.
const drawn = [...'…→·✗§↓↑–—█░▇▆▅▄▃▂▁µ─│╭╮╰╯├┤┬┴┼é ñ\u00a0\u00ad']
const other = [...'日本語한글\u0301\u200b\t\u0007🙂👍🏽❤️‼\uff21', '\u{1f468}\u200d\u{1f469}']
const ansi = ['\x1b[31m', '\x1b[39m', '\x1b[1m', '\x1b[22m', '\x9b0m']

describe('fastStringWidth', () => {
  it('measures as string-width does, whatever the text (property)', () => {
    const piece = fc.oneof(
      fc.constantFrom(...drawn),
      fc.constantFrom(...other),
      fc.constantFrom(...ansi),
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), fc.boolean(), (pieces, countAnsi) => {
        const text = pieces.join('')
        expect(fastStringWidth(text)).toBe(stringWidth(text))
        expect(fastStringWidth(text, { countAnsiEscapeCodes: countAnsi })).toBe(
          stringWidth(text, { countAnsiEscapeCodes: countAnsi }),
        )
        expect(fastStringWidth(text, { ambiguousIsNarrow: false })).toBe(
          stringWidth(text, { ambiguousIsNarrow: false }),
        )
      }),
      { numRuns: 2000 },
    )
  })

  it('measures the characters the UI draws, colours taking no column', () => {
    expect(fastStringWidth('\x1b[32m█████\x1b[39m░░░ 62% · 1,234 files … →')).toBe(30)
    expect(fastStringWidth('▁▂▃▄▅▆▇█')).toBe(8)
    expect(fastStringWidth('soft\u00adhyphen')).toBe(10)
  })
})
