import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { Sparkline, sparklineText } from '../../src/ui/Sparkline.js'

describe('Sparkline', () => {
  it('scales to the largest value shown and right-aligns in `width`', () => {
    expect(sparklineText([0, 50, 100], 5)).toBe('  ▁▅█')
    expect(sparklineText([1, 2, 3, 4, 5, 6, 7, 8], 4)).toBe('▅▆▇█')
    expect(sparklineText([], 3)).toBe('   ')
    expect(sparklineText([0, 0], 2)).toBe('▁▁')
  })

  it('renders', () => {
    const { lastFrame } = render(<Sparkline values={[0, 8]} width={2} color={false} />)
    expect(lastFrame()).toBe('▁█')
  })
})
