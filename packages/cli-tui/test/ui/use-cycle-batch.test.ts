import { describe, expect, it } from 'vitest'
import type { CycleView } from '../../src/ui/sync-view-state.js'
import { cycleBatch } from '../../src/ui/use-cycle-batch.js'

const cycle = (n: number): CycleView => ({ n, ts: n, text: `${n}`, failed: false })

describe('cycleBatch', () => {
  it('hands over the cycles after the last printed one, keyed by the first of them', () => {
    expect(cycleBatch([], 0)).toEqual({ key: 1, items: [] })
    expect(cycleBatch([cycle(1)], 0)).toEqual({ key: 1, items: [cycle(1)] })
    // A trimmed list (the latest three of five): only the new ones, under a new key.
    expect(cycleBatch([cycle(3), cycle(4), cycle(5)], 3)).toEqual({ key: 4, items: [cycle(4), cycle(5)] })
    expect(cycleBatch([cycle(3), cycle(4), cycle(5)], 5)).toEqual({ key: 6, items: [] })
  })
})
