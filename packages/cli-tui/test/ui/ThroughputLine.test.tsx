import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { ThroughputLine } from '../../src/ui/ThroughputLine.js'

describe('ThroughputLine', () => {
  it('shows the rate and a sparkline of the last minute within the width', () => {
    const history = Array.from({ length: 60 }, (_, i) => i * 1000)
    const { lastFrame } = render(
      <ThroughputLine bytesPerSec={3 * 1024 * 1024} filesPerSec={145} history={history} width={80} color={false} />,
    )
    const frame = lastFrame() ?? ''
    expect(frame).toContain('3.00 MiB/s')
    expect(frame).toContain('145 files/s')
    expect(frame).toContain('█ 1 min')
    expect(frame.length).toBeLessThanOrEqual(80)
  })

  it('on a narrow terminal drops the sparkline, then the files/s, never cutting a number', () => {
    const line = (width: number) =>
      render(
        <ThroughputLine
          bytesPerSec={2.99 * 1024 * 1024}
          filesPerSec={6.5}
          history={[1, 2]}
          width={width}
          color={false}
        />,
      ).lastFrame() ?? ''
    expect(line(26)).toBe('2.99 MiB/s  6.5 files/s')
    expect(line(20)).toBe('2.99 MiB/s')
  })
})
