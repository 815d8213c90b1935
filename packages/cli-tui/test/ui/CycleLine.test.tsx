import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { CycleLine } from '../../src/ui/CycleLine.js'
import { summaryText } from '../../src/ui/summary-text.js'
import { summary } from './fixtures.js'

describe('CycleLine', () => {
  it('shows the time, the cycle number and what it did', () => {
    const s = summary({ done: { ...summary().done, copy: 2, delete: 1 }, bytesTransferred: 1536, durationMs: 200 })
    expect(summaryText(s)).toBe('2 copied, 1 deleted, 1.50 KiB in 0.2s')
    const { lastFrame } = render(
      <CycleLine cycle={{ n: 4, ts: 0, text: summaryText(s), failed: false }} color={false} />,
    )
    expect(lastFrame()).toMatch(/^\d\d:\d\d:\d\d #4 2 copied, 1 deleted, 1.50 KiB in 0.2s$/)
  })

  it('says chmod for touches of files for their mode alone', () => {
    const s = summary({ done: { ...summary().done, touch: 3 }, fileModesSet: { planned: 2, done: 2 }, durationMs: 200 })
    expect(summaryText(s)).toBe('1 touched, 2 files chmod, 0 B in 0.2s')
    const dry = summary({
      dryRun: true,
      planned: { ...summary().planned, touch: 2 },
      fileModesSet: { planned: 1, done: 0 },
    })
    expect(summaryText(dry)).toMatch(/^would touch 1, chmod 1 in/)
  })

  // `ui -n` on 3,001 files: `Finished: would copy 3001, create 31` under `would copy 3,001`.
  it("groups a dry run's thousands as a real run's", () => {
    const s = summary({ done: { ...summary().done, copy: 3001 }, skipped: 1200, durationMs: 200 })
    expect(summaryText(s)).toMatch(/^3,001 copied, 1,200 skipped, /)
    const dry = summary({ dryRun: true, planned: { ...summary().planned, copy: 3001, mkdir: 31 }, failed: 1500 })
    expect(summaryText(dry)).toMatch(/^would copy 3,001, create 31, 1,500 failed in /)
  })

  it('says "nothing to do" for an empty cycle', () => {
    expect(summaryText(summary())).toMatch(/^nothing to do/)
  })
})
