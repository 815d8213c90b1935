import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ProgressBar, progressBarText } from '../../src/ui/ProgressBar.js'

describe('ProgressBar', () => {
  it('fills to the ratio, clamped, in exactly `width` columns', () => {
    expect(progressBarText(0.5, 10)).toBe('█████░░░░░')
    expect(progressBarText(2, 4)).toBe('████')
    expect(progressBarText(-1, 4)).toBe('░░░░')
    expect(progressBarText(Number.NaN, 3)).toBe('░░░')
    expect(progressBarText(0.5, 0)).toBe('')
  })

  it('renders the bar', () => {
    const { lastFrame } = render(<ProgressBar ratio={0.25} width={8} color={false} />)
    expect(lastFrame()).toBe('██░░░░░░')
  })
})
