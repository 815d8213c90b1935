import { MAX_REQUESTED_BLOCK_SIZE } from '@syncflow/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_BLOCK_SIZE_FLAG } from '../src/options/flag-table.js'
import { parseConcurrency } from '../src/options/parse-concurrency.js'
import { parseEndpoint } from '../src/options/parse-endpoint.js'
import { parseMaxDelete } from '../src/options/parse-max-delete.js'
import { parseRate } from '../src/options/parse-rate.js'
import { parseSeconds } from '../src/options/parse-seconds.js'

describe('parseRate (--bwlimit)', () => {
  it.each([
    ['0', 0],
    ['500000', 500_000],
    ['512k', 512 * 1024],
    ['512K', 512 * 1024],
    ['10M', 10 * 1024 ** 2],
    ['10MiB/s', 10 * 1024 ** 2],
    ['1.5G', 1.5 * 1024 ** 3],
    ['2kb', 2048],
  ])('%s → %d bytes/s', (text, bytes) => {
    expect(parseRate(text)).toBe(bytes)
  })

  it.each(['', 'fast', '10X', '-1', '1e6', 'k', '10 M B'])('%j is refused with what to use', (text) => {
    expect(() => parseRate(text)).toThrow(/512k or 10M/)
  })

  // QA 27d: 0.4 rounded to 0, which is no limit at all.
  it.each(['0.4', '0.1B', '0.0001k'])('%j, under 1 byte/s, is refused rather than read as no limit', (text) => {
    expect(() => parseRate(text)).toThrow(/under 1 byte\/s.*512k or 10M/)
  })

  it('never returns a negative or fractional rate', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const n = parseRate(s)
          return Number.isSafeInteger(n) && n >= 0
        } catch {
          return true
        }
      }),
    )
  })
})

describe('parseMaxDelete', () => {
  it.each([
    ['0', { count: 0 }],
    ['100', { count: 100 }],
    ['10%', { percent: 10 }],
    ['0.5%', { percent: 0.5 }],
    ['100%', { percent: 100 }],
  ])('%s', (text, value) => {
    expect(parseMaxDelete(text)).toEqual(value)
  })

  it.each(['', '-1', '1.5', '101%', '%', '10 %', 'ten'])('%j is refused', (text) => {
    expect(() => parseMaxDelete(text)).toThrow(/such as 10%/)
  })
})

describe('parseConcurrency', () => {
  it('takes whole numbers from 1 to 256', () => {
    expect(parseConcurrency('1')).toBe(1)
    expect(parseConcurrency('256')).toBe(256)
    for (const bad of ['0', '257', '1.5', '-2', 'x', '']) expect(() => parseConcurrency(bad)).toThrow(/1 to 256/)
  })
})

describe('parseEndpoint', () => {
  it('takes http and https URLs only', () => {
    expect(parseEndpoint('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000')
    expect(parseEndpoint('https://s3.example.com')).toBe('https://s3.example.com')
    for (const bad of ['127.0.0.1:9000', 'ftp://x', '']) expect(() => parseEndpoint(bad)).toThrow(/http/)
  })
})

describe('--block-size', () => {
  it("takes no more than a server accepts (core's limit, kept apart so that start-up does not load core)", () => {
    expect(MAX_BLOCK_SIZE_FLAG).toBe(MAX_REQUESTED_BLOCK_SIZE)
  })
})

// rsync's --timeout takes seconds; rclone's a Go duration (`--timeout 5m`): an rclone user's value
// was refused (review of the command line).
describe('parseSeconds (--timeout, --contimeout)', () => {
  it('takes seconds, or a duration with units as rclone does', () => {
    expect(parseSeconds('30')).toBe(30)
    expect(parseSeconds('2.5')).toBe(2.5)
    expect(parseSeconds('0')).toBe(0)
    expect(parseSeconds('90s')).toBe(90)
    expect(parseSeconds('5m')).toBe(300)
    expect(parseSeconds('1h')).toBe(3600)
    expect(parseSeconds('1m30s')).toBe(90)
    expect(parseSeconds('500ms')).toBe(0.5)
  })
  it('refuses what is no duration, or out of range, saying what to give', () => {
    for (const bad of ['', '1 minute', 'm', '5x', '-1', '1.5.2s', '25h', '50ms', '1e3']) {
      expect(() => parseSeconds(bad), bad).toThrow(/e\.g\. 30 or 2\.5 \(or with a unit: 90s, 5m, 1h\)/)
    }
  })
})
