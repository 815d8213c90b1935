import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type RelPath, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

/**
 * A GET whose bytes changed on the way (a broken proxy or link): its ETag, the object's MD5, says
 * so, and nothing may be written under the final name (rclone: "corrupted on transfer").
 */
describeS3('S3 reads whose bytes changed on the way', (env) => {
  const text = 'hello, world: the bytes as stored\n'
  let dir: string
  let proxy: CountingProxy
  let prefix: string
  let corrupt = false
  /** A multipart object's bytes, and the answer to its GET while set: the same length, one byte changed. */
  const big = 'b'.repeat(6 * 1024 * 1024)
  let corruptBig: { etag: string; md5chksum: string } | undefined

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-corrupt-'))
    prefix = uniquePrefix(env, 'corrupt')
    const etag = `"${createHash('md5').update(text).digest('hex')}"`
    proxy = await startCountingProxy(env.endpoint, {
      // The object's own answer, one byte changed: same length, same ETag.
      answer: (op, url) => {
        if (op !== 'GET') return undefined
        if (corruptBig !== undefined && url.includes('big.txt')) {
          const headers: Record<string, string> = {
            etag: corruptBig.etag,
            'x-amz-meta-md5chksum': corruptBig.md5chksum,
            'content-length': String(big.length),
          }
          return { status: 200, contentType: 'application/octet-stream', body: `B${big.slice(1)}`, headers }
        }
        if (!corrupt) return undefined
        const headers: Record<string, string> = { etag, 'content-length': String(Buffer.byteLength(text)) }
        return { status: 200, contentType: 'application/octet-stream', body: text.replace('h', 'H'), headers }
      },
    })
    const s3 = testBackend(env, { prefix })
    await s3.write('a.txt' as RelPath, Readable.from([Buffer.from(text)]), {
      size: Buffer.byteLength(text),
      mtimeMs: Date.now(),
    })
    await s3.close()
  })
  afterAll(async () => {
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a download whose MD5 differs from the ETag fails CHECKSUM and writes nothing', async () => {
    const dl = join(dir, 'dl')
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    corrupt = true
    try {
      const events = await lastValueFrom(sync(s3, createLocalBackend({ root: dl }), { mode: 'mirror' }).pipe(toArray()))
      expect(events.filter((e) => e.type === 'completed')).toEqual([])
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'failed',
          path: 'a.txt',
          error: expect.objectContaining({ code: 'CHECKSUM', message: expect.stringContaining('changed on the way') }),
        }),
      )
      expect(await readdir(dl).catch(() => [])).toEqual([])
    } finally {
      corrupt = false
      await s3.close()
    }
  })

  it('a multipart object is checked against its md5chksum', async () => {
    // Its ETag ("…-2") is no MD5; the md5chksum written with it (rclone's key) is.
    const md5 = createHash('md5').update(big).digest('hex')
    const writer = testBackend(env, { prefix }, { multipartThreshold: 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 })
    await writer.write('big.txt' as RelPath, Readable.from([Buffer.from(big)]), {
      size: big.length,
      mtimeMs: Date.now(),
      hashes: { md5 },
    })
    await writer.close()
    // (The answer radosgw gives such an object, with one byte changed: its ETag is "<md5 of the parts' MD5s>-2".)
    corruptBig = {
      etag: `"${createHash('md5').update(md5).digest('hex')}-2"`,
      md5chksum: Buffer.from(md5, 'hex').toString('base64'),
    }
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    try {
      const body = await s3.read('big.txt' as RelPath)
      await expect(
        (async () => {
          for await (const _ of body) {
            // (read to the end)
          }
        })(),
      ).rejects.toMatchObject({ code: 'CHECKSUM' })
    } finally {
      corruptBig = undefined
      await s3.close()
    }
  })
})
