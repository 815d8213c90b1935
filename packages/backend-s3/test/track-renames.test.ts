import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3'
import {
  type Backend,
  bisync,
  type DoneEvent,
  MemoryStateStore,
  RENAME_MIN_BYTES,
  type RelPath,
  type SyncEvent,
  type SyncOptions,
  supports,
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

// A renamed directory of big files, to S3 behind the counting proxy: server-side copies, no upload.
describeS3('a mirror to S3 tracks renames', (env) => {
  let dir: string
  let proxy: CountingProxy
  let prefix: string
  const state = new MemoryStateStore()
  const opened: Backend[] = []
  const files = ['a.bin', 'b.bin', 'c.bin']
  const bytes = files.map((_, i) => randomBytes(RENAME_MIN_BYTES * 2 + i))
  const backends = (): [Backend, Backend] => {
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    const local = createLocalBackend({ root: dir })
    opened.push(s3, local)
    return [local, s3]
  }
  const run = async (options: Partial<SyncOptions> = {}): Promise<SyncEvent[]> => {
    const events = await lastValueFrom(sync(...backends(), { mode: 'mirror', state, ...options }).pipe(toArray()))
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    return events
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-renames-'))
    prefix = uniquePrefix(env, 'renames')
    await mkdir(join(dir, 'photos'))
    for (const [i, f] of files.entries()) await writeFile(join(dir, 'photos', f), bytes[i]!)
    proxy = await startCountingProxy(env.endpoint)
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a renamed directory is copied server-side and the old keys deleted: nothing uploaded again', async () => {
    await run()
    await rename(join(dir, 'photos'), join(dir, 'album'))
    proxy.reset()
    const events = await run()
    const done = events.find((e): e is DoneEvent => e.type === 'done')!
    expect(done.summary.done.move).toBe(3)
    expect(done.summary.bytesTransferred).toBe(0)
    // The ETags (MD5s of single-PUT objects) came with the listing: no GET of the old objects.
    expect(proxy.counts.PUT ?? 0).toBe(0)
    expect(proxy.counts.GET ?? 0).toBe(0)
    expect(proxy.counts.COPY).toBe(3)
    const [, s3] = backends()
    const keys: string[] = []
    for await (const e of s3.list()) keys.push(e.path)
    expect(keys.sort()).toEqual(files.map((f) => `album/${f}`))
    for (const [i, f] of files.entries()) {
      const body = await s3.read(`album/${f}` as RelPath)
      const chunks: Buffer[] = []
      for await (const c of body) chunks.push(c as Buffer)
      expect(Buffer.concat(chunks).equals(bytes[i]!)).toBe(true)
    }
    // In sync, as a stat of each would tell (the moved objects carry the source's mtimes).
    proxy.reset()
    const again = await run({ state: new MemoryStateStore() })
    expect(again.filter((e) => e.type === 'completed')).toEqual([])
    expect(await readFile(join(dir, 'album', 'a.bin'))).toEqual(bytes[0])
  }, 60_000)

  // Another tool's multipart upload: its ETag is no MD5 of the content, and no MD5 is in its metadata.
  it('a hash asked `stored` of an object whose MD5 is not known rejects UNSUPPORTED, downloading nothing', async () => {
    const [, s3] = backends()
    const raw = rawClient(env)
    const key = `${(s3 as S3Backend).prefix}other-tool.bin`
    const { UploadId } = await raw.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: key }))
    const part = await raw.send(
      new UploadPartCommand({ Bucket: env.bucket, Key: key, UploadId, PartNumber: 1, Body: bytes[0] }),
    )
    await raw.send(
      new CompleteMultipartUploadCommand({
        Bucket: env.bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }),
    )
    raw.destroy()
    if (!supports.hash(s3)) throw new Error('the S3 backend hashes')
    proxy.reset()
    await expect(s3.hash('other-tool.bin' as RelPath, 'md5', { stored: true })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    })
    expect(proxy.counts.GET ?? 0).toBe(0)
    // Without it the object is read, as --checksum needs.
    expect(await s3.hash('other-tool.bin' as RelPath, 'md5')).toBe(createHash('md5').update(bytes[0]!).digest('hex'))
    expect(proxy.counts.GET).toBe(1)
  })

  // The other way: keys renamed on S3 (the album/ the first test left), pulled into a local
  // directory: renamed there, not downloaded.
  it('keys renamed on the S3 source are renamed in the local target: nothing downloaded', async () => {
    const back = await mkdtemp(join(tmpdir(), 'syncflow-s3-renames-back-'))
    const pullState = new MemoryStateStore() // (a job of its own)
    try {
      const pull = async (): Promise<SyncEvent[]> => {
        const s3 = testBackend(env, { prefix, endpoint: proxy.url })
        const local = createLocalBackend({ root: back })
        opened.push(s3, local)
        const events = await lastValueFrom(sync(s3, local, { mode: 'mirror', state: pullState }).pipe(toArray()))
        expect(events.filter((e) => e.type === 'failed')).toEqual([])
        return events
      }
      await pull()
      const inode = (await stat(join(back, 'album', 'a.bin'))).ino
      const s3 = testBackend(env, { prefix }) as S3Backend
      opened.push(s3)
      for (const f of files) await s3.move(`album/${f}` as RelPath, `moved/${f}` as RelPath)
      proxy.reset()
      const events = await pull()
      const done = events.find((e): e is DoneEvent => e.type === 'done')!
      expect(done.summary.done.move).toBe(3)
      expect(proxy.counts.GET ?? 0).toBe(0)
      expect((await stat(join(back, 'moved', 'a.bin'))).ino).toBe(inode)
      for (const [i, f] of files.entries()) expect(await readFile(join(back, 'moved', f))).toEqual(bytes[i])
    } finally {
      await rm(back, { recursive: true, force: true })
    }
  }, 60_000)
})

// Two-way: a local directory and an S3 prefix, renames made on either side (pairing is the default
// where one side is S3: its listing gives the MD5s).
describeS3('bisync with S3 tracks renames', (env) => {
  let dir: string
  let proxy: CountingProxy
  let prefix: string
  const state = new MemoryStateStore()
  const opened: Backend[] = []
  const files = ['a.bin', 'b.bin']
  const bytes = files.map((_, i) => randomBytes(RENAME_MIN_BYTES * 2 + i))
  const backends = (): [Backend, Backend] => {
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    const local = createLocalBackend({ root: dir })
    opened.push(s3, local)
    return [local, s3]
  }
  const run = async (): Promise<DoneEvent> => {
    const events = await lastValueFrom(bisync(...backends(), { state }).pipe(toArray()))
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    return events.find((e): e is DoneEvent => e.type === 'done')!
  }
  const keys = async (): Promise<string[]> => {
    const [, s3] = backends()
    const out: string[] = []
    for await (const e of s3.list()) if (e.kind === 'file') out.push(e.path)
    return out.sort()
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-bisync-renames-'))
    prefix = uniquePrefix(env, 'bisync-renames')
    await mkdir(join(dir, 'photos'))
    for (const [i, f] of files.entries()) await writeFile(join(dir, 'photos', f), bytes[i]!)
    proxy = await startCountingProxy(env.endpoint)
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a directory renamed in the local directory is copied server-side on S3: nothing uploaded again', async () => {
    expect((await run()).summary.done.copy).toBe(2)
    await rename(join(dir, 'photos'), join(dir, 'album'))
    proxy.reset()
    const done = await run()
    expect(done.summary.done.move).toBe(2)
    expect(done.summary.bytesTransferred).toBe(0)
    expect(proxy.counts.PUT ?? 0).toBe(0)
    expect(proxy.counts.GET ?? 0).toBe(0)
    expect(proxy.counts.COPY).toBe(2)
    expect(await keys()).toEqual(files.map((f) => `album/${f}`))
    // Recorded: the next run finds nothing to do.
    const again = await run()
    expect(Object.values(again.summary.done).reduce((x, y) => x + y, 0)).toBe(0)
  }, 60_000)

  it('keys renamed on S3 are renamed in the local directory: nothing downloaded', async () => {
    const inode = (await stat(join(dir, 'album', 'a.bin'))).ino
    const s3 = testBackend(env, { prefix }) as S3Backend
    opened.push(s3)
    for (const f of files) await s3.move(`album/${f}` as RelPath, `moved/${f}` as RelPath)
    proxy.reset()
    const done = await run()
    expect(done.summary.done.move).toBe(2)
    expect(proxy.counts.GET ?? 0).toBe(0)
    expect((await stat(join(dir, 'moved', 'a.bin'))).ino).toBe(inode)
    for (const [i, f] of files.entries()) expect(await readFile(join(dir, 'moved', f))).toEqual(bytes[i])
    expect(await keys()).toEqual(files.map((f) => `moved/${f}`))
  }, 60_000)
})
