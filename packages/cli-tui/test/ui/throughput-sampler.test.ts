import { describe, expect, it } from 'vitest'
import { ThroughputSampler } from '../../src/ui/throughput-sampler.js'
import { transferEvents } from './fixtures.js'

describe('ThroughputSampler', () => {
  it('samples the rate once per call and keeps the last `points` samples', () => {
    const t = new ThroughputSampler(0, 3)
    t.add({ type: 'stats', ts: 0, listing: false } as never)
    for (const e of transferEvents('copy', 'a', 1000)) t.add(e)
    const first = t.sample(1000)
    expect(first.bytesPerSec).toBe(1000)
    expect(first.history).toEqual([1000])
    for (let i = 2; i <= 5; i++) t.sample(i * 1000)
    expect(t.sample(6000).history).toHaveLength(3)
  })

  it('gives an ETA once the listing is over', () => {
    const t = new ThroughputSampler(0)
    const [planned, started, progress] = transferEvents('copy', 'a', 10_000)
    for (const e of [planned!, started!, progress!]) t.add(e)
    expect(t.sample(1000).etaMs).toBeUndefined() // still listing
    t.add({ type: 'stats', ts: 0, listing: false } as never)
    expect(t.sample(2000).etaMs).toBeGreaterThan(0)
  })
})
