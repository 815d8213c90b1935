import { isSyncError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { createS3Backend, type S3BackendOptions } from '../src/index.js'

// QA 30c: createS3Backend({ bucket: process.env.BUCKET }) with the variable unset made a backend of
// the bucket named "undefined" (uri s3://undefined); no request is needed to see the mistake.
describe('createS3Backend given no bucket name', () => {
  for (const options of [{}, { bucket: undefined }, { bucket: 7 }, { bucket: 'b', prefix: null }]) {
    it(`refuses ${JSON.stringify(options)} as USAGE`, () => {
      let thrown: unknown
      try {
        createS3Backend(options as unknown as S3BackendOptions)
      } catch (err) {
        thrown = err
      }
      expect(isSyncError(thrown) && thrown.code).toBe('USAGE')
      expect((thrown as Error).message).toMatch(/createS3Backend: (bucket|prefix) must be a string/)
    })
  }

  it('still makes one for a bucket and a prefix', () => {
    expect(createS3Backend({ bucket: 'b', prefix: 'app' }).uri).toBe('s3://b/app')
  })
})
