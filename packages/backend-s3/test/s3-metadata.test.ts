import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  copiedMtime,
  formatMode,
  formatMtime,
  md5FromEtag,
  md5FromMetadata,
  md5ToBase64,
  parseMode,
  parseMtime,
  parseMtimeNs,
} from '../src/s3-metadata.js'

describe('S3 metadata', () => {
  it('writes mtime as float seconds, as rclone does', () => {
    expect(formatMtime(1_700_000_000_123)).toBe('1700000000.123000000')
    expect(formatMtime(1_700_000_000_123.456)).toBe('1700000000.123456000')
    expect(formatMtime(0)).toBe('0.000000000')
    expect(formatMtime(-1500)).toBe('-1.500000000')
  })

  it('keeps the stored mtime on a copy when it is the mtime written, else formats it anew', () => {
    expect(copiedMtime('1600000000.123456789', 1_600_000_000_123.4568)).toBe('1600000000.123456789')
    expect(copiedMtime('1600000000.123456789', 1_600_000_001_000)).toBe('1600000001.000000000')
    expect(copiedMtime(undefined, 1_600_000_001_000)).toBe('1600000001.000000000')
    expect(copiedMtime('garbage', 1_600_000_001_000)).toBe('1600000001.000000000')
  })

  it('reads the nanoseconds float seconds say exactly, and nothing from other forms', () => {
    expect(parseMtimeNs('1600000000.123456789')).toBe(1_600_000_000_123_456_789n)
    expect(parseMtimeNs('1600000000.5')).toBe(1_600_000_000_500_000_000n)
    expect(parseMtimeNs('1600000000')).toBe(1_600_000_000_000_000_000n)
    expect(parseMtimeNs('-1.5')).toBe(-1_500_000_000n)
    for (const other of ['1e9', '1.1234567891', 'x', '', undefined]) expect(parseMtimeNs(other)).toBeUndefined()
  })

  it('writes the nanoseconds exactly when the source gave them', () => {
    expect(formatMtime(1_700_000_000_123.4568, 1_700_000_000_123_456_789n)).toBe('1700000000.123456789')
    expect(formatMtime(1_700_000_000_000, 1_700_000_000_000_000_001n)).toBe('1700000000.000000001')
    expect(formatMtime(-1500, -1_500_000_000n)).toBe('-1.500000000')
  })

  it('reads what rclone writes', () => {
    expect(parseMtime('1700000000.123456789')).toBeCloseTo(1_700_000_000_123.4568, 3)
    expect(parseMtime('1700000000')).toBe(1_700_000_000_000)
    expect(parseMtime('-1.5')).toBe(-1500)
    // No file system stores these (a local write failed with EINVAL): the upload time stands in.
    expect(parseMtime('1e20')).toBeUndefined()
    expect(parseMtime('8640000000001')).toBeUndefined()
    // Beyond year 9999, as tmpfs and btrfs hold (QA 31c): read back as written.
    expect(parseMtime('400000000000.000000000')).toBe(400_000_000_000_000)
    expect(parseMtime('-8640000000000')).toBe(-8_640_000_000_000_000)
    expect(parseMtime('-1e20')).toBeUndefined()
    expect(parseMtime('2023-11-14T22:13:20Z')).toBeUndefined()
    expect(parseMtime('')).toBeUndefined()
    expect(parseMtime(undefined)).toBeUndefined()
  })

  it('round-trips any mtime within a microsecond', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e13, max: 1e13, noNaN: true }), (ms) => {
        expect(Math.abs(parseMtime(formatMtime(ms))! - ms)).toBeLessThan(1e-3)
      }),
    )
  })

  it('keeps modes in rclone form', () => {
    expect(formatMode(0o644)).toBe('0100644')
    expect(parseMode('0100644')).toBe(0o644)
    expect(parseMode('755')).toBe(0o755)
    expect(parseMode('rwx')).toBeUndefined()
    // From anyone who can write to the bucket: no setuid/setgid/sticky, and only a regular file's mode.
    expect(parseMode('0106777')).toBe(0o777)
    expect(parseMode('4755')).toBe(0o755)
    expect(parseMode('0120777')).toBeUndefined()
    expect(parseMode('040755')).toBeUndefined()
  })

  it('takes only single-part ETags for MD5s', () => {
    expect(md5FromEtag('49F68A5C8493EC2C0BF489821C21FC3B')).toBe('49f68a5c8493ec2c0bf489821c21fc3b')
    expect(md5FromEtag('49f68a5c8493ec2c0bf489821c21fc3b-3')).toBeUndefined()
    expect(md5FromEtag('')).toBeUndefined()
    expect(md5FromEtag(undefined)).toBeUndefined()
  })

  it('reads md5chksum (base64) as hex', () => {
    const hex = '49f68a5c8493ec2c0bf489821c21fc3b'
    expect(md5FromMetadata(md5ToBase64(hex))).toBe(hex)
    expect(md5FromMetadata('abc==')).toBeUndefined()
  })
})
