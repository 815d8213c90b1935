import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import type { RelPath, ResumeRecord } from '@syncflow/core'
import { expect, it } from 'vitest'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'
import { slowBody } from './slow-body.js'

const MiB = 1024 * 1024

// Review 38: an orderly stop kept a multipart upload "for resume" even when its record could not
// be saved (a path too long for a PostgreSQL state key, a full disk): the note promised a resume
// no run could make, and the upload stayed open on the service (billed) until a later sweep.
describeS3('an interrupted multipart upload whose resume record could not be saved', (env) => {
  it('is aborted, not kept for a resume no run can make', async () => {
    const b = testBackend(env, 'resume-unrecorded', {
      multipartThreshold: 6 * MiB,
      partSize: 5 * MiB,
      queueSize: 4,
      abortStaleUploadsAfterMs: false,
    })
    const raw = rawClient(env)
    const data = randomBytes(60 * MiB)
    const kept: string[] = []
    // The state store refuses the record (the fault on top of the real server).
    const resume: ResumeRecord = {
      load: async () => undefined,
      save: async () => {
        throw new Error('value too long for type character varying(255)')
      },
      clear: async () => {},
      resumed: () => {},
      kept: (message) => kept.push(message),
    }
    let sent = 0
    // A slow body, so that parts are in flight when the write is interrupted.
    const slow = () =>
      slowBody(data, (n) => {
        sent = n
      })
    const abort = new AbortController()
    const writing = b
      .write(
        'big.bin' as RelPath,
        Readable.from(slow()),
        { size: data.length, mtimeMs: Date.now() },
        { signal: abort.signal, resume },
      )
      .catch((e: unknown) => e)
    // 4 parts of 5 MiB in flight at most: a body read past 6 parts means the service took one.
    await expect.poll(() => sent, { timeout: 30_000 }).toBeGreaterThan(31 * MiB)
    abort.abort()
    expect(await writing).toMatchObject({ code: 'ABORTED' })
    await b.close()
    expect(kept).toEqual([])
    const prefix = (b as unknown as { prefix: string }).prefix
    const uploads = (await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: prefix }))).Uploads
    expect(uploads ?? []).toEqual([])
  }, 90_000)
})
