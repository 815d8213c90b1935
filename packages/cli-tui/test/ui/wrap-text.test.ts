import { describe, expect, it } from 'vitest'
import { wrapText } from '../../src/ui/wrap-text.js'

describe('wrapText', () => {
  it('breaks at spaces, within the width, prefixes counted', () => {
    expect(wrapText('aaa bbb ccc ddd', 9)).toEqual(['aaa bbb', 'ccc ddd'])
    expect(wrapText('aaa bbb ccc ddd', 9, '✗ ', '  ')).toEqual(['✗ aaa bbb', '  ccc ddd'])
    expect(wrapText('short', 80, '  ')).toEqual(['  short'])
  })

  it('cuts a word longer than a line and goes on on the next, losing nothing', () => {
    const path = '/tmp/a/very/long/path/that/does/not/fit'
    const lines = wrapText(`rename ${path} failed`, 12, '  ')
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(12)
    expect(lines.at(-1)).toMatch(/ failed$/)
    expect(lines.map((l) => l.slice(2)).join('')).toBe(`rename${path}failed`)
  })

  it('makes one space of whitespace runs and escapes controls', () => {
    expect(wrapText('a\n\tb   c', 80)).toEqual(['a b c'])
    expect(wrapText('bad\u001b[2Jname', 80)).toEqual(['bad\\x1b[2Jname'])
  })

  it('gives one (empty) line for nothing', () => {
    expect(wrapText('', 10, '  ')).toEqual(['  '])
  })
})
