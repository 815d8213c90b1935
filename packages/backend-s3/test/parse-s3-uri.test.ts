import { describe, expect, it } from 'vitest'
import { formatS3Uri, parseS3Uri } from '../src/index.js'

describe('parseS3Uri', () => {
  it.each([
    ['s3://b', { bucket: 'b', prefix: '' }],
    ['s3://b/', { bucket: 'b', prefix: '' }],
    ['s3://b/app', { bucket: 'b', prefix: 'app/' }],
    ['s3://b/app/', { bucket: 'b', prefix: 'app/' }],
    ['s3://b/a b/c', { bucket: 'b', prefix: 'a b/c/' }],
    ['S3://b/x', { bucket: 'b', prefix: 'x/' }],
  ])('%s', (uri, want) => {
    expect(parseS3Uri(uri)).toEqual(want)
    expect(parseS3Uri(formatS3Uri(want))).toEqual(want)
  })

  it.each(['s3://', 's3:///x', 'file:///x', 's3://b/a//c', 's3://b/../x', 's3://b/./x', 's3://b//x'])(
    'rejects %s with USAGE',
    (uri) => {
      expect(() => parseS3Uri(uri)).toThrow(expect.objectContaining({ code: 'USAGE' }))
    },
  )

  it.each([
    ['s3://qa-1:80/x', '--s3-endpoint'],
    ['s3://my bucket/x', 'lowercase letters'],
  ])('rejects the bucket name of %s, saying what to do', (uri, hint) => {
    expect(() => parseS3Uri(uri)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('invalid bucket name') }),
    )
    expect(() => parseS3Uri(uri)).toThrow(expect.objectContaining({ hint: expect.stringContaining(hint) }))
  })

  // QA 20 F2: a prefix no key fits below was sent, and the service's "malformed request" blamed the
  // bucket name (as a target) or said the source did not exist.
  it('refuses a prefix of 1,024 bytes or more (with its "/") before any request; 1,023 is a location', () => {
    expect(parseS3Uri(`s3://b/${'p'.repeat(1022)}`).prefix).toHaveLength(1023)
    expect(() => parseS3Uri(`s3://b/${'p'.repeat(1023)}`)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('prefix is 1024 bytes') }),
    )
    // Bytes, not characters: 342 × "é" (2 bytes) + "/" = 685 bytes is fine; 512 × "é" + "/" is not.
    expect(() => parseS3Uri(`s3://b/${'é'.repeat(342)}`)).not.toThrow()
    expect(() => parseS3Uri(`s3://b/${'é'.repeat(512)}`)).toThrow(expect.objectContaining({ code: 'USAGE' }))
  })

  it('formats without a trailing slash', () => {
    expect(formatS3Uri({ bucket: 'b', prefix: 'app/' })).toBe('s3://b/app')
    expect(formatS3Uri({ bucket: 'b', prefix: '' })).toBe('s3://b')
  })
})
