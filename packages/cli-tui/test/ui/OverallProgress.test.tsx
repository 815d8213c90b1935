import { Box } from 'ink'
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

  const MiB = 1024 * 1024
  // In a box of the screen's width, as the dashboard shows it (Ink cuts what overflows).
  const at = (width: number) =>
    render(
      <Box width={width}>
        <OverallProgress
          filesDone={8}
          filesPlanned={30}
          bytesDone={19 * MiB}
          bytesPlanned={60 * MiB}
          etaMs={68_000}
          listing={false}
          width={width}
          color={false}
        />
      </Box>,
    ).lastFrame() ?? ''

  it('keeps the percentage and the ETA on a narrow terminal, dropping the byte totals first', () => {
    const line = at(40)
    expect(line).toContain('31%  ETA 1m08s')
    expect(line).toContain('8/30 files')
    expect(line).not.toContain('MiB')
    expect(line).not.toContain('…')
    expect(line).toMatch(/^█+░+ /)
    expect(line.length).toBeLessThan(40)
    // The narrowest screen: the bar goes too, the numbers that matter stay.
    expect(at(20)).toContain('31%  ETA 1m08s')
    expect(at(20).length).toBeLessThan(20)
  })

  it('caps the bar on a wide terminal, so the numbers stay next to it', () => {
    const line = at(250)
    expect(line).toMatch(/^[█░]{50} 8\/30 files {2}19\.0 MiB\/60\.0 MiB {3}31% {2}ETA 1m08s$/)
  })
})
