import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3'
import {
  type Backend,
  createMemBackend,
  MemoryStateStore,
  type RelPath,
  type SyncEvent,
  type SyncOptions,
  sync,
} from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import type { S3Backend } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const MiB = 1024 * 1024
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')
const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64')

async function run(source: Backend, target: Backend, options: SyncOptions): Promise<SyncEvent[]> {
  return lastValueFrom(sync(source, target, options).pipe(toArray()))
}
const failures = (events: SyncEvent[]) => events.filter((e) => e.type === 'failed')

describeS3('the engine with S3: multipart uploads carry their MD5 from the start', (env) => {
  // Small thresholds so that a 12 MiB file is a 3-part upload.
  const options = { multipartThreshold: 6 * MiB, partSize: 5 * MiB }
  const big = randomBytes(12 * MiB + 5)
  const small = Buffer.from('small file\n')
  const raw = rawClient(env)
  let dir: string
  let proxy: CountingProxy
  const opened: Backend[] = []
  const s3 = (prefix: string, extra = {}): S3Backend => {
    const b = testBackend(env, {
      prefix,
      endpoint: proxy.url,
      ...options,
      ...extra,
    })
    opened.push(b)
    return b
  }
  const stored = async (b: S3Backend, path: string) =>
    raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}${path}` }))
  const unfinished = async (b: S3Backend) =>
    (await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: b.prefix }))).Uploads ?? []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-multipart-'))
    await writeFile(join(dir, 'big.bin'), big)
    await writeFile(join(dir, 'small.txt'), small)
    proxy = await startCountingProxy(env.endpoint)
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    raw.destroy()
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('local → S3: the MD5 goes into CreateMultipartUpload, and no server-side copy follows', async () => {
    const prefix = uniquePrefix(env, 'hashed-first')
    const state = new MemoryStateStore()
    const local = createLocalBackend({ root: dir })
    opened.push(local)
    proxy.reset()
    expect(failures(await run(local, s3(prefix), { mode: 'mirror', state }))).toEqual([])
    expect(proxy.counts.COPY ?? 0).toBe(0)
    expect(proxy.counts).toMatchObject({ CREATE_MULTIPART: 1, PUT_PART: 3, COMPLETE_MULTIPART: 1, PUT: 1 })
    const target = s3(prefix)
    const head = await stored(target, 'big.bin')
    expect(head.Metadata?.md5chksum).toBe(base64(md5(big)))
    expect(head.ETag).toMatch(/-3"$/)

    // --checksum on a multipart object: the MD5 comes from its metadata (one HEAD), never from
    // the multipart ETag, and nothing is sent again.
    proxy.reset()
    const again = await run(createLocalBackend({ root: dir }), target, { mode: 'mirror', compare: 'checksum' })
    expect(failures(again)).toEqual([])
    expect(again.filter((e) => e.type === 'completed')).toEqual([])
    expect(proxy.counts.PUT ?? 0).toBe(0)
    expect(proxy.counts.COPY ?? 0).toBe(0)
    expect(proxy.counts.CREATE_MULTIPART ?? 0).toBe(0)
  })

  it('by default a file of 64 MiB goes in one PUT (its ETag its MD5), and one byte more is multipart', async () => {
    const defaults = (prefix: string): S3Backend => {
      const b = testBackend(env, { prefix, endpoint: proxy.url })
      opened.push(b)
      return b
    }
    const mem = createMemBackend()
    opened.push(mem)
    const body = Buffer.alloc(64 * MiB, 7)
    await mem.write('at.bin' as RelPath, Readable.from([body]), { size: body.length, mtimeMs: 1_600_000_000_000 })
    const prefix = uniquePrefix(env, 'threshold')
    proxy.reset()
    expect(failures(await run(mem, defaults(prefix), { mode: 'copy' }))).toEqual([])
    expect(proxy.counts.CREATE_MULTIPART ?? 0).toBe(0)
    expect((await stored(defaults(prefix), 'at.bin')).ETag).toBe(`"${md5(body)}"`)
    const over = Buffer.alloc(64 * MiB + 1, 7)
    await mem.write('over.bin' as RelPath, Readable.from([over]), { size: over.length, mtimeMs: 1_600_000_000_000 })
    proxy.reset()
    expect(failures(await run(mem, defaults(prefix), { mode: 'copy' }))).toEqual([])
    expect(proxy.counts).toMatchObject({ CREATE_MULTIPART: 1, COMPLETE_MULTIPART: 1 })
  }, 120_000)

  it('a source without MD5s still gets md5chksum, by a server-side copy after the upload', async () => {
    const mem = createMemBackend({ capabilities: { hashes: ['sha256'] } })
    opened.push(mem)
    await mem.write('big.bin' as RelPath, Readable.from([big]), { size: big.length, mtimeMs: 1_600_000_000_000 })
    const target = s3(uniquePrefix(env, 'no-source-md5'))
    proxy.reset()
    expect(failures(await run(mem, target, { mode: 'mirror' }))).toEqual([])
    expect(proxy.counts).toMatchObject({ CREATE_MULTIPART: 1, COPY: 1 })
    expect((await stored(target, 'big.bin')).Metadata?.md5chksum).toBe(base64(md5(big)))
  })

  /** A 12 MiB file that someone rewrites (same size, same mtime, new version) on its first read. */
  const rewrittenOnFirstRead = async (): Promise<{
    mem: ReturnType<typeof createMemBackend>
    changed: Buffer
    reads: () => number
  }> => {
    const mem = createMemBackend()
    opened.push(mem)
    const path = 'big.bin' as RelPath
    await mem.write(path, Readable.from([big]), { size: big.length, mtimeMs: 1_600_000_000_000 })
    const changed = randomBytes(big.length)
    let reads = 0
    mem.faults = {
      // Just as the upload starts reading, after it hashed the file: only the version tells.
      read: async () => {
        if (reads++ === 0) {
          await mem.write(path, Readable.from([changed]), { size: changed.length, mtimeMs: 1_600_000_000_000 })
        }
        return undefined
      },
    }
    return { mem, changed, reads: () => reads }
  }

  it('a file that changes between hashing and reading is never stored with a wrong MD5: it changed since it was listed, so it fails as CONFLICT', async () => {
    const { mem, reads } = await rewrittenOnFirstRead()
    const target = s3(uniquePrefix(env, 'changed-midway'))
    const events = await run(mem, target, { mode: 'mirror', retryDelayMs: 1 })
    // The hashed-then-read mismatch is retried; the retry sees a file that is no longer the
    // one listed and stops there, as a local read does (rclone: "source file is being updated").
    expect(failures(events).map((e) => (e.type === 'failed' ? [e.path, e.error.code] : []))).toEqual([
      ['big.bin', 'CONFLICT'],
    ])
    expect(reads()).toBe(1)
    await expect(stored(target, 'big.bin')).rejects.toThrow()
    // The first attempt's upload was aborted, not left behind.
    await expect.poll(() => unfinished(target)).toEqual([])
  })

  it('with checkUpdated off the same file is stored as read, its MD5 that of the bytes stored', async () => {
    const { mem, changed } = await rewrittenOnFirstRead()
    const target = s3(uniquePrefix(env, 'changed-midway-tolerated'))
    const events = await run(mem, target, { mode: 'mirror', retryDelayMs: 1, checkUpdated: false })
    expect(failures(events)).toEqual([])
    const head = await stored(target, 'big.bin')
    expect(head.Metadata?.md5chksum).toBe(base64(md5(changed)))
    expect(await target.hash('big.bin' as RelPath, 'md5')).toBe(md5(changed))
    await expect.poll(() => unfinished(target)).toEqual([])
  })
})
