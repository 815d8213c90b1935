import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { OverallProgress } from '../../src/ui/OverallProgress.js'

describe('OverallProgress', () => {
  it('shows files and bytes of planned, percent and ETA', () => {
    const { lastFrame } = render(
      <OverallProgress
        filesDone={1234}
        filesPlanned={10_000}
        bytesDone={512 * 1024}
        bytesPlanned={1024 * 1024}
        etaMs={42_000}
        listing={false}
        width={80}
        color={false}
      />,
    )
    const frame = lastFrame() ?? ''
    expect(frame).toContain('1,234/10,000 files')
    expect(frame).toContain('512 KiB/1.00 MiB')
    expect(frame).toContain('50%')
    expect(frame).toContain('ETA 42s')
    expect(frame.length).toBeLessThanOrEqual(80)
  })

  it('says paused instead of an ETA while paused', () => {
    const { lastFrame } = render(
      <OverallProgress
        filesDone={3}
        filesPlanned={40}
        bytesDone={512}
        bytesPlanned={1024}
        etaMs={5600}
        listing={false}
        paused
        width={80}
        color={false}
      />,
    )
    expect(lastFrame()).toMatch(/3\/40 files {2}512 B\/1.00 KiB +50% {2}paused$/)
    expect(lastFrame()).not.toContain('ETA')
  })

  it('says listing while totals still grow', () => {
    const { lastFrame } = render(
      <OverallProgress
        filesDone={1}
        filesPlanned={2}
        bytesDone={0}
        bytesPlanned={0}
        listing
        width={80}
        color={false}
      />,
    )
    expect(lastFrame()).toContain('1/2+ files')
    expect(lastFrame()).toContain('listing…')
  })
})
