import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { CountsLine } from '../../src/ui/CountsLine.js'

const counts = { copied: 1200, updated: 30, deleted: 4, moved: 2, other: 0, skipped: 1, failed: 2, unchanged: 9 }

describe('CountsLine', () => {
  it('shows every count, the queue and what runs now, wrapping at 80 columns', () => {
    const { lastFrame } = render(<CountsLine counts={counts} queued={8766} inFlight={8} width={80} color={false} />)
    const frame = lastFrame() ?? ''
    for (const s of [
      'copied 1,200',
      'updated 30',
      'deleted 4',
      'moved 2',
      'skipped 1',
      'failed 2',
      'queue 8,766',
      'active 8',
    ]) {
      expect(frame).toContain(s)
    }
    expect(Math.max(...frame.split('\n').map((l) => l.length))).toBeLessThanOrEqual(80)
  })
})
