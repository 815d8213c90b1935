import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import type { RelPath } from '@syncflow/core'
import { expect, it } from 'vitest'
import { rawClient } from './raw-client.js'
import { testBackend } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'
import { slowBody } from './slow-body.js'

const MiB = 1024 * 1024

// Review 20 #4: closing the backend aborted every request in flight at once, and so the SDK's own
// AbortMultipartUpload of an interrupted upload, sent once its parts settle: the upload stayed
// unfinished on the service (billed) until a later run that writes there swept it, a day later.
describeS3('an interrupted multipart upload, then the backend closed', (env) => {
  it('is aborted on the service: no unfinished upload is left', async () => {
    const b = testBackend(env, 'close-grace', {
      multipartThreshold: 6 * MiB,
      partSize: 5 * MiB,
      abortStaleUploadsAfterMs: false,
    })
    const raw = rawClient(env)
    const data = randomBytes(40 * MiB)
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
        { signal: abort.signal },
      )
      .catch((e: unknown) => e)
    await expect.poll(() => sent, { timeout: 10_000 }).toBeGreaterThan(12 * MiB)
    abort.abort()
    expect(await writing).toMatchObject({ code: 'ABORTED' })
    await b.close()
    const prefix = (b as unknown as { prefix: string }).prefix
    const uploads = async () =>
      (await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: prefix }))).Uploads ?? []
    // Gone once close() has returned (asked once, not polled): a process that ends right after it
    // (the CLI re-raises a SIGHUP once the job is closed) must not take the abort with it.
    expect(await uploads()).toEqual([])
  }, 60_000)
})
