import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { HelpView } from '../../src/ui/HelpView.js'

describe('HelpView', () => {
  it('lists the keys', () => {
    const { lastFrame } = render(<HelpView watch width={80} color={false} />)
    const frame = lastFrame() ?? ''
    for (const k of [
      'p          pause / resume',
      'q          quit',
      'e          errors',
      '?          this help',
      'Esc        back',
    ]) {
      expect(frame).toContain(k)
    }
  })

  it("lists the errors screen's scroll keys, within 80 columns", () => {
    const { lastFrame } = render(<HelpView watch={false} width={80} color={false} />)
    const frame = lastFrame() ?? ''
    expect(frame).toContain('On the errors screen')
    for (const k of ['↑ ↓  k j   scroll a line', 'PgUp PgDn  scroll a page', 'Home End   newest, oldest error']) {
      expect(frame).toContain(k)
    }
    for (const l of frame.split('\n')) expect(l.length).toBeLessThanOrEqual(80)
  })

  // QA 27a: on a 40x10 terminal the help took 15 rows: the header and the keys p and q went off the top.
  it('fits the rows it is given, the keys first: the note, then the errors screen keys give way', () => {
    const lines = (width: number, rows: number) =>
      (render(<HelpView watch={false} width={width} rows={rows} color={false} />).lastFrame() ?? '').split('\n')
    const all = lines(80, 100)
    expect(all).toHaveLength(12)
    expect(all.join('\n')).toContain('Totals count what is planned so far')
    for (const [width, rows] of [
      [40, 8],
      [40, 6],
      [20, 4],
      [80, 11],
    ] as const) {
      const frame = lines(width, rows)
      expect(frame.length, `${width}x${rows}`).toBeLessThanOrEqual(rows)
      for (const l of frame) expect(l.length, `${width}x${rows}: ${l}`).toBeLessThanOrEqual(width)
      expect(frame[0]).toBe('Keys')
    }
    // 40 columns, 8 rows: the five keys, their words cut to one row each.
    const small = lines(40, 8).join('\n')
    for (const k of ['  p          pause / resume', '  q          quit', '  e', '  ?', '  Esc'])
      expect(small).toContain(k)
    expect(small).not.toContain('On the errors screen')
    // 80 columns, 11 rows: both lists whole, the note left out.
    const wide = lines(80, 11).join('\n')
    expect(wide).toContain('Home End   newest, oldest error (also g, G)')
    expect(wide).not.toContain('Totals')
  })
})
