import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import { MemoryStateStore, type RelPath, resumeRecordOf } from '@syncflow/core'
import { expect, it } from 'vitest'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'
import { slowBody } from './slow-body.js'

const MiB = 1024 * 1024
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex')

// Review 38: a file rewritten between the interrupted run and the next with the same size and
// mtime (a restore from a backup, `touch -r`) passes the record's check; only each part's MD5
// keeps the old bytes out of the object.
describeS3('a kept upload resumed for a file changed at the same size and mtime', (env) => {
  it('holds the new bytes, every part checked by its MD5', async () => {
    const opts = {
      multipartThreshold: 6 * MiB,
      partSize: 5 * MiB,
      queueSize: 4,
      abortStaleUploadsAfterMs: false as const,
    }
    const prefix = uniquePrefix(env, 'resume-same-mtime')
    const b = testBackend(env, { prefix, ...opts })
    const raw = rawClient(env)
    const store = new MemoryStateStore()
    const notes: string[] = []
    const record = () =>
      resumeRecordOf(
        store,
        'big.bin' as RelPath,
        (m) => notes.push(`resumed ${m}`),
        (m) => notes.push(`kept ${m}`),
      )
    const old = randomBytes(60 * MiB)
    const meta = { size: old.length, mtimeMs: 1_700_000_000_000 }
    let sent = 0
    // A slow body, so that parts are in flight when the write is interrupted.
    const slow = () =>
      slowBody(old, (n) => {
        sent = n
      })
    const abort = new AbortController()
    const first = b
      .write('big.bin' as RelPath, Readable.from(slow()), meta, { signal: abort.signal, resume: record() })
      .catch((e: unknown) => e)
    await expect.poll(() => sent, { timeout: 30_000 }).toBeGreaterThan(31 * MiB)
    abort.abort()
    expect(await first).toMatchObject({ code: 'ABORTED' })
    await b.close()
    expect(notes.some((n) => n.startsWith('kept '))).toBe(true)
    // The same size and mtime, other bytes in the first part and the last.
    const now = Buffer.from(old)
    randomBytes(1000).copy(now, 10)
    randomBytes(1000).copy(now, now.length - 2000)
    const c = testBackend(env, { prefix, ...opts })
    await c.write('big.bin' as RelPath, Readable.from([now]), meta, { resume: record() })
    await c.close()
    expect(notes.some((n) => n.startsWith('resumed '))).toBe(true)
    const got = await raw.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/big.bin` }))
    expect(md5(await got.Body!.transformToByteArray())).toBe(md5(now))
    const left = await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: `${prefix}/` }))
    expect(left.Uploads ?? []).toEqual([])
  }, 120_000)
})
