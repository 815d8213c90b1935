import type { SyncEvent } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { ThroughputSampler } from '../../src/ui/throughput-sampler.js'
import { summary, transferEvents } from './fixtures.js'

const stats = (bytesPerSec: number, over: Partial<Extract<SyncEvent, { type: 'stats' }>> = {}): SyncEvent => ({
  type: 'stats',
  ts: 0,
  elapsedMs: 0,
  filesPlanned: 0,
  filesDone: 0,
  bytesPlanned: 0,
  bytesDone: 0,
  bytesPerSec,
  filesPerSec: bytesPerSec / 100,
  inFlight: 0,
  queued: 0,
  failed: 0,
  listing: false,
  ...over,
})

describe('ThroughputSampler', () => {
  it('shows the rates of the latest stats event and keeps one sample per call, the last `points`', () => {
    const t = new ThroughputSampler(3)
    expect(t.current(0)).toEqual({ bytesPerSec: 0, filesPerSec: 0, history: [] })
    t.add(stats(1000), 0)
    // Other events do not move the rates (the engine measures them).
    for (const e of transferEvents('copy', 'a', 1000)) t.add(e, 0)
    const first = t.sample(1000)
    expect(first).toMatchObject({ bytesPerSec: 1000, filesPerSec: 10, history: [1000] })
    for (let i = 2; i <= 5; i++) {
      t.add(stats(i * 1000), i * 1000)
      t.sample(i * 1000)
    }
    expect(t.sample(6000).history).toEqual([4000, 5000, 5000])
  })

  it('gives the ETA only once the listing is over', () => {
    const t = new ThroughputSampler()
    t.add(stats(100, { listing: true, etaMs: 5000 }), 0)
    expect(t.current(0).etaMs).toBeUndefined()
    t.add(stats(100, { etaMs: 5000 }), 0)
    expect(t.current(0).etaMs).toBe(5000)
  })

  it('falls to 0 at the end of a run, and when no stats came for a while (a watch waiting)', () => {
    const t = new ThroughputSampler()
    t.add(stats(100), 0)
    t.add({ type: 'done', ts: 0, summary: summary() }, 0)
    expect(t.current(0).bytesPerSec).toBe(0)
    t.add(stats(100), 1000)
    expect(t.current(2000).bytesPerSec).toBe(100)
    expect(t.current(10_000)).toMatchObject({ bytesPerSec: 0, filesPerSec: 0 })
  })

  it('keeps no history with 0 points', () => {
    const t = new ThroughputSampler(0)
    t.sample(0)
    expect(t.sample(1).history).toEqual([])
  })
})
