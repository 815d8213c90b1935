import { describe, expect, it } from 'vitest'
import { columns } from '../../src/ui/columns.js'
import { fitPath, fitText, padText } from '../../src/ui/fit-text.js'
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

  it('makes one space of runs of spaces and line breaks, and escapes controls (a tab in a name too)', () => {
    expect(wrapText('a\n b   c', 80)).toEqual(['a b c'])
    expect(wrapText('failed tab\tname', 80)).toEqual(['failed tab\\x09name'])
    expect(wrapText('bad\u001b[2Jname', 80)).toEqual(['bad\\x1b[2Jname'])
  })

  it('gives one (empty) line for nothing', () => {
    expect(wrapText('', 10, '  ')).toEqual(['  '])
  })
})

describe('wide characters', () => {
  it('wraps by terminal columns: a CJK character takes two', () => {
    const lines = wrapText('写真 フォルダ/とても長い名前のファイル.txt を削除できません', 12, '  ')
    for (const l of lines) expect(columns(l)).toBeLessThanOrEqual(12)
    expect(lines.map((l) => l.slice(2)).join('')).toBe('写真フォルダ/とても長い名前のファイル.txtを削除できません')
    expect(lines.length).toBeGreaterThan(4)
  })

  it('cuts names by columns and never splits a character', () => {
    expect(fitText('日本語のファイル名', 9)).toBe('日本語の…')
    expect(columns(fitText('日本語のファイル名', 9))).toBeLessThanOrEqual(9)
    expect(fitPath('写真/2026/夏休み.jpg', 12)).toBe('…/夏休み.jpg')
    expect(padText('名前', 6)).toBe('名前  ')
    expect(fitText('👩‍👩‍👧 family.txt', 5)).toBe('👩‍👩‍👧 f…') // the emoji takes 2 columns
    expect(fitText('plain-ascii-name', 8)).toBe('plain-a…')
  })
})
