import { describe, expect, it } from 'vitest'
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
})
