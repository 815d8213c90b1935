import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { CountsLine, countLines } from '../../src/ui/CountsLine.js'

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

  it('breaks between items, never inside one, and adds the unchanged count where there is room', () => {
    for (const width of [20, 40, 60, 80, 89, 90, 120]) {
      const lines = countLines(counts, 8766, 8, width)
      for (const line of lines) {
        const text = line.map((i) => i.text).join('  ')
        expect(text.length <= width || line.length === 1, `${width}: ${text}`).toBe(true)
      }
      const items = lines.flat().map((i) => i.text)
      expect(items).toContain('failed 2')
      expect(items.includes('unchanged 9')).toBe(width >= 90)
    }
    expect(countLines(counts, 0, 0, 120)).toHaveLength(1)
    expect(
      countLines(counts, 0, 0, 80)
        .flat()
        .find((i) => i.text.startsWith('failed'))?.alert,
    ).toBe(true)
  })
})
