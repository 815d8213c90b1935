import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { HelpView } from '../../src/ui/HelpView.js'

describe('HelpView', () => {
  it('lists the keys', () => {
    const { lastFrame } = render(<HelpView watch width={80} color={false} />)
    const frame = lastFrame() ?? ''
    for (const k of ['p     pause / resume', 'q     quit', 'e     errors', '?     this help', 'Esc   back']) {
      expect(frame).toContain(k)
    }
  })
})
