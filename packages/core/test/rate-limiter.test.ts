import { describe, expect, it, vi } from 'vitest'
import { RateLimiter } from '../src/util/rate-limiter.js'

describe('RateLimiter', () => {
  it('starts empty: N seconds of data take N seconds from the start', () => {
    let t = 0
    const r = new RateLimiter(1000, () => t)
    // 10 chunks of 1000 bytes sent back to back, each after waiting what it was told.
    let total = 0
    for (let i = 0; i < 10; i++) {
      const wait = r.reserve(1000)
      total += wait
      t += wait
    }
    expect(total).toBeCloseTo(10_000, 6)
  })

  it('a pause saves up a quarter of a second at most', () => {
    let t = 0
    const r = new RateLimiter(1000, () => t)
    t = 60_000 // a minute idle
    expect(r.reserve(250)).toBe(0)
    expect(r.reserve(1000)).toBeCloseTo(1000, 6)
  })

  it('a throttle destroyed while it holds a chunk drops it and its timer (a Ctrl-C is not held up by it)', async () => {
    vi.useFakeTimers()
    try {
      const t = new RateLimiter(1000).throttle()
      const out: Buffer[] = []
      t.on('data', (c: Buffer) => out.push(c))
      t.on('error', () => {})
      t.write(Buffer.alloc(10_000)) // 10 s at 1000 B/s
      await vi.advanceTimersByTimeAsync(1)
      expect(vi.getTimerCount()).toBe(1)
      t.destroy()
      await vi.advanceTimersByTimeAsync(1)
      expect(vi.getTimerCount()).toBe(0)
      await vi.advanceTimersByTimeAsync(20_000)
      expect(out).toEqual([])
    } finally {
      vi.useRealTimers()
    }
  })
})
