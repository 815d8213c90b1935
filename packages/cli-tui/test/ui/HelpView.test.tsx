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
})
