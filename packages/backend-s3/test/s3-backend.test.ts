import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import {
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3'
import type { Backend, Entry, RelPath, SyncError } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Backend, type S3Backend, s3Backend } from '../src/index.js'
import { startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const MiB = 1024 * 1024
const p = (s: string) => s as RelPath

async function listAll(b: Backend, errors: SyncError[] = [], notices: string[] = []): Promise<Entry[]> {
  const out: Entry[] = []
  for await (const e of b.list({ onError: (err) => errors.push(err), onNotice: (n) => notices.push(n.message) })) {
    out.push(e)
  }
  return out
}

const show = (e: Entry) => (e.kind === 'dir' ? `${e.path}/` : e.path)
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex')

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const port = (s.address() as { port: number }).port
  await new Promise((r) => s.close(r))
  return port
}

describeS3('S3Backend against a real S3 server', (env) => {
  const raw = rawClient(env)
  const opened: Backend[] = []
  const backend = (name: string, options = {}): S3Backend => {
    const b = testBackend(env, name, options)
    opened.push(b)
    return b
  }
  const put = (Key: string, Body: string | Buffer = 'x') =>
    raw.send(new PutObjectCommand({ Bucket: env.bucket, Key, Body: Buffer.from(Body) }))
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    raw.destroy()
  })

  it('sets the Content-Type from the extension, single-part and multipart (a bucket served over HTTP needs it)', async () => {
    const b = backend('content-type', { multipartThreshold: 5 * MiB })
    const put = (name: string, data: Buffer) =>
      b.write(p(name), Readable.from([data]), { size: data.length, mtimeMs: 1_700_000_000_000 })
    await put('index.html', Buffer.from('<p>hi</p>'))
    await put('big.json', Buffer.alloc(6 * MiB, 0x20))
    await put('blob.unknown-ext', Buffer.from('x'))
    const type = async (name: string) =>
      (await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}${name}` }))).ContentType
    expect(await type('index.html')).toBe('text/html')
    expect(await type('big.json')).toBe('application/json')
    expect(await type('blob.unknown-ext')).not.toMatch(/^text\//)
  })

  it('never takes setuid, setgid or sticky bits (or a non-file mode) from object metadata', async () => {
    const b = backend('mode-bits')
    const putWithMode = (name: string, mode: string) =>
      raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}${name}`, Body: 'x', Metadata: { mode } }))
    await putWithMode('suid', '0106777')
    await putWithMode('link', '0120777')
    expect((await b.stat(p('suid')))?.mode).toBe(0o777)
    expect((await b.stat(p('link')))?.mode).toBeUndefined()
  })

  it('writes, stats, reads and lists a file with its mtime, mode and MD5', async () => {
    const b = backend('roundtrip')
    const data = Buffer.from('hello, s3')
    const written = await b.write(p('dir/a.txt'), Readable.from([data]), {
      size: data.length,
      mtimeMs: 1_700_000_000_123,
      mode: 0o640,
    })
    expect(written).toMatchObject({ path: 'dir/a.txt', kind: 'file', size: 9, mtimeMs: 1_700_000_000_123, mode: 0o640 })
    expect(written.hashes?.md5).toBe(md5(data))
    expect(written.version).toBe(md5(data))

    const stat = await b.stat(p('dir/a.txt'))
    expect(stat).toMatchObject({ kind: 'file', size: 9, mode: 0o640, version: written.version })
    expect(stat!.mtimeMs).toBeCloseTo(1_700_000_000_123, 3)
    expect(await buffer(await b.read(p('dir/a.txt')))).toEqual(data)
    expect(await buffer(await b.read(p('dir/a.txt'), { offset: 7 }))).toEqual(Buffer.from('s3'))
    expect(await buffer(await b.read(p('dir/a.txt'), { offset: 1, length: 4 }))).toEqual(Buffer.from('ello'))
    expect(await buffer(await b.read(p('dir/a.txt'), { offset: 100 }))).toEqual(Buffer.alloc(0))

    const listed = await listAll(b)
    expect(listed).toHaveLength(1)
    // The listing has the upload time, not the stored mtime (listMtime: false), and the ETag = MD5.
    expect(listed[0]).toMatchObject({ path: 'dir/a.txt', kind: 'file', size: 9, version: written.version })
    expect(listed[0]!.hashes?.md5).toBe(md5(data))
    expect(b.capabilities.listMtime).toBe(false)

    expect(await b.stat(p('dir'))).toMatchObject({ kind: 'dir' })
    expect(await b.stat(p('nope'))).toBeUndefined()
    await expect(b.read(p('nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(await b.hash(p('dir/a.txt'), 'md5')).toBe(md5(data))
    expect(await b.hash(p('dir/a.txt'), 'sha256')).toBe(createHash('sha256').update(data).digest('hex'))
  })

  it('removes an emptied directory that a pruned listing gave from its first key, a file: no marker with content (QA 31j #1)', async () => {
    const b = backend('pruned-remove')
    await b.write(p('a/f'), Readable.from([Buffer.from('hi\n')]), { size: 3, mtimeMs: 1000 })
    await b.write(p('x/y'), Readable.from([Buffer.from('x')]), { size: 1, mtimeMs: 1000 })
    // As a watch lists a side around a directory removed or made: the other directories pruned.
    const listed: Entry[] = []
    for await (const e of b.list({ prune: (d) => d !== 'x' })) listed.push(e)
    expect(listed.map(show)).toEqual(['a/', 'x/y'])
    await b.remove(p('a/f'))
    // It failed UNSUPPORTED: the directory marker "…/a/" holds 3 bytes (a/f's), a key never there.
    await b.remove(p('a'))
    expect(await b.stat(p('a'))).toBeUndefined()
  })

  it('writes empty files and files of unknown size', async () => {
    const b = backend('sizes')
    const e = await b.write(p('empty'), Readable.from([]), { size: 0, mtimeMs: 1000 })
    expect(e).toMatchObject({ size: 0, version: md5(Buffer.alloc(0)) })
    const data = randomBytes(100_000)
    const u = await b.write(p('unknown'), Readable.from([data.subarray(0, 1000), data.subarray(1000)]), {
      mtimeMs: 1000,
    })
    expect(u.size).toBe(100_000)
    expect(await buffer(await b.read(p('unknown')))).toEqual(data)
    expect(await buffer(await b.read(p('empty')))).toEqual(Buffer.alloc(0))
  })

  it('keeps to its prefix: s3://b/app never lists app2/ or app-old/', async () => {
    const base = uniquePrefix(env, 'boundary')
    await Promise.all(
      ['app/x', 'app/sub/y', 'app2/no', 'app-old/no', 'app', 'ap/no', 'appz'].map((k) => put(`${base}/${k}`)),
    )
    const b = createS3Backend({
      bucket: env.bucket,
      prefix: `${base}/app`,
      endpoint: env.endpoint,
      region: env.region,
      credentials: { accessKeyId: env.accessKeyId, secretAccessKey: env.secretAccessKey },
      serviceMemory: false,
    })
    opened.push(b)
    expect(b.uri).toBe(`s3://${env.bucket}/${base}/app`)
    expect((await listAll(b)).map(show)).toEqual(['sub/y', 'x'])
    expect(await b.rootExists()).toBe(true)
    expect(await backend('boundary-empty').rootExists()).toBe(false)
  })

  it('reports keys that cannot be safe paths and lists the rest', async () => {
    const b = backend('hostile')
    const hostile = ['a//b', '/lead', '../x', './y', 'z/../../escape', 'ctl\u0001name', 'del\u007f', 'trail/x/..']
    const fine = ['ok', 'sp ace', 'plus+sign', 'pct%20', 'é', '😀', 'ünï/cödé', 'back\\slash']
    await Promise.all([...hostile, ...fine].map((k) => put(`${b.prefix}${k}`)))
    const errors: SyncError[] = []
    const listed = await listAll(b, errors)
    expect(listed.map(show)).toEqual([...fine].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))))
    expect(errors.map((e) => e.code)).toEqual(hostile.map(() => 'INVALID_PATH'))
    // Without onError, the first unsafe key fails the listing (never a silently short listing).
    await expect(async () => {
      for await (const _ of b.list()) {
        // drain
      }
    }).rejects.toMatchObject({ code: 'INVALID_PATH' })
  })

  it('understands directory markers', async () => {
    const b = backend('markers')
    await Promise.all([put(`${b.prefix}d/`, ''), put(`${b.prefix}d/f`), put(`${b.prefix}e/`, ''), put(`${b.prefix}d0`)])
    expect((await listAll(b)).map(show)).toEqual(['d/', 'd/f', 'd0', 'e/'])
    expect(await b.stat(p('e'))).toMatchObject({ kind: 'dir', size: 0 })
    await expect(b.remove(p('d'))).rejects.toMatchObject({ code: 'CONFLICT' })
    await b.remove(p('d/f'))
    await b.remove(p('d'))
    await b.remove(p('e'))
    await b.remove(p('e')) // idempotent
    expect((await listAll(b)).map(show)).toEqual(['d0'])
  })

  it('reports a key that is both a file and a prefix, without looping', async () => {
    const b = backend('clash')
    await Promise.all(['x', 'x-1', 'x/y', 'x/z/w', 'y'].map((k) => put(`${b.prefix}${k}`)))
    const errors: SyncError[] = []
    expect((await listAll(b, errors)).map(show)).toEqual(['x', 'x-1', 'y'])
    expect(errors.map((e) => [e.code, e.path])).toEqual([['CONFLICT', 'x']])
  })

  it('refuses keys over 1,024 bytes before sending any request', async () => {
    // An endpoint where nothing listens: any request would fail with TRANSIENT, not INVALID_PATH.
    const dead = createS3Backend({
      bucket: env.bucket,
      prefix: 'pre',
      endpoint: `http://127.0.0.1:${await freePort()}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    })
    opened.push(dead)
    expect(dead.capabilities.maxPathBytes).toBe(1020)
    const long = p('a'.repeat(1021))
    for (const call of [
      () => dead.write(long, Readable.from([Buffer.from('x')]), { mtimeMs: 0 }),
      () => dead.stat(long),
      () => dead.read(long),
      () => dead.remove(long),
      () => dead.setMtime(long, 0),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_PATH' })
    }
    await expect(dead.stat(p('short'))).rejects.toMatchObject({ code: 'TRANSIENT' })

    const b = backend('limit')
    const room = 1024 - Buffer.byteLength(b.prefix)
    const exact = p(`${'é'.repeat(Math.floor((room - 2) / 2))}${'z'.repeat((room - 2) % 2)}/f`)
    expect(Buffer.byteLength(b.prefix + exact)).toBe(1024)
    await b.write(exact, Readable.from([Buffer.from('1')]), { mtimeMs: 0 })
    expect((await listAll(b)).map((e) => e.path)).toEqual([exact])
    await expect(b.write(p(`${exact}x`), Readable.from([Buffer.from('1')]), { mtimeMs: 0 })).rejects.toMatchObject({
      code: 'INVALID_PATH',
    })
  })

  describe('multipart uploads', () => {
    const options = { multipartThreshold: 6 * MiB, partSize: 5 * MiB }
    const data = randomBytes(12 * MiB + 123)

    it('uploads in parts, never takes the multipart ETag for an MD5, and stores the MD5', async () => {
      const b = backend('multipart', options)
      const progress: number[] = []
      const e = await b.write(
        p('big.bin'),
        Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
        { size: data.length, mtimeMs: 1_600_000_000_000 },
        { onProgress: (n) => progress.push(n) },
      )
      expect(e.size).toBe(data.length)
      expect(e.hashes?.md5).toBe(md5(data))
      expect(progress.at(-1)).toBe(data.length)
      const listed = await listAll(b)
      expect(listed).toHaveLength(1)
      expect(listed[0]!.version).toBe(e.version)
      const stat = await b.stat(p('big.bin'))
      expect(stat).toMatchObject({ size: data.length, mtimeMs: 1_600_000_000_000, version: e.version })
      expect(stat!.hashes?.md5).toBe(md5(data))
      expect(await b.hash(p('big.bin'), 'md5')).toBe(md5(data))
      expect(md5(await buffer(await b.read(p('big.bin'))))).toBe(md5(data))
    })

    it('keeps the multipart ETag when the MD5 is given up front, and never lists it as an MD5', async () => {
      const b = backend('multipart-md5', options)
      const e = await b.write(p('big.bin'), Readable.from([data]), {
        size: data.length,
        mtimeMs: 1000,
        hashes: { md5: md5(data) },
      })
      expect(e.version).toMatch(/-3$/)
      const listed = await listAll(b)
      expect(listed[0]!.version).toBe(e.version)
      expect(listed[0]!.hashes?.md5).toBeUndefined()
      const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}big.bin` }))
      expect(head.Metadata?.md5chksum).toBe(Buffer.from(md5(data), 'hex').toString('base64'))
      expect(await b.hash(p('big.bin'), 'md5')).toBe(md5(data))
    })

    it('fails with CHECKSUM and leaves nothing when the data does not match the announced MD5', async () => {
      const b = backend('multipart-bad', options)
      await expect(
        b.write(p('big.bin'), Readable.from([data]), {
          size: data.length,
          mtimeMs: 1000,
          hashes: { md5: '0'.repeat(32) },
        }),
      ).rejects.toMatchObject({ code: 'CHECKSUM' })
      expect(await b.stat(p('big.bin'))).toBeUndefined()
      await expect
        .poll(async () => {
          const ups = await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: b.prefix }))
          return ups.Uploads ?? []
        })
        .toEqual([])
    })

    it('copies big objects server-side part by part, keeping metadata', async () => {
      const b = backend('multipart-copy', { ...options, multipartCopyThreshold: 5 * MiB })
      await b.write(p('big.bin'), Readable.from([data]), { size: data.length, mtimeMs: 1_234_000, mode: 0o600 })
      const c = await b.copy(p('big.bin'), p('copy.bin'))
      expect(c).toMatchObject({ size: data.length, mtimeMs: 1_234_000, mode: 0o600 })
      const stat = await b.stat(p('copy.bin'))
      expect(stat).toMatchObject({ size: data.length, mtimeMs: 1_234_000, mode: 0o600, version: c.version })
      expect(stat!.hashes?.md5).toBe(md5(data))
      expect(md5(await buffer(await b.read(p('copy.bin'))))).toBe(md5(data))
    })
  })

  it('re-checks expect before writing', async () => {
    const b = backend('expect')
    const first = await b.write(p('f'), Readable.from([Buffer.from('1')]), { mtimeMs: 1000 })
    await expect(
      b.write(p('f'), Readable.from([Buffer.from('2')]), { mtimeMs: 2000 }, { expect: null }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    const [listed] = await listAll(b)
    const second = await b.write(p('f'), Readable.from([Buffer.from('22')]), { mtimeMs: 2000 }, { expect: listed! })
    await expect(
      b.write(p('f'), Readable.from([Buffer.from('3')]), { mtimeMs: 3000 }, { expect: first }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    await b.write(p('f'), Readable.from([Buffer.from('3')]), { mtimeMs: 3000 }, { expect: second })
    await expect(
      b.write(p('gone'), Readable.from([Buffer.from('3')]), { mtimeMs: 3000 }, { expect: second }),
    ).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await buffer(await b.read(p('f')))).toEqual(Buffer.from('3'))
  })

  it('copies, moves and sets mtimes server-side, keeping metadata', async () => {
    const b = backend('copy')
    const data = Buffer.from('content')
    await b.write(p('a/src'), Readable.from([data]), { mtimeMs: 1_111_000, mode: 0o751 })
    const c = await b.copy(p('a/src'), p('b/copy'), { expect: null })
    expect(c).toMatchObject({ path: 'b/copy', size: 7, mtimeMs: 1_111_000, mode: 0o751 })
    await expect(b.copy(p('a/src'), p('b/copy'), { expect: null })).rejects.toMatchObject({ code: 'CONFLICT' })
    const m = await b.move(p('b/copy'), p('c/moved'), { expect: null })
    expect(m).toMatchObject({ path: 'c/moved', mtimeMs: 1_111_000, mode: 0o751 })
    expect((await listAll(b)).map(show)).toEqual(['a/src', 'c/moved'])
    const t = await b.setMtime(p('c/moved'), 2_222_000)
    expect(t.mtimeMs).toBe(2_222_000)
    expect(await b.stat(p('c/moved'))).toMatchObject({ mtimeMs: 2_222_000, mode: 0o751, version: t.version })
    expect(await buffer(await b.read(p('c/moved')))).toEqual(data)
    await expect(b.copy(p('missing'), p('x'))).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  // QA 12 #4: a rename paired by content (the new file is newer than the old object) kept the
  // old object's mtime, which the state then recorded as synced.
  it('moves with a new mtime in the one copy, keeping the content type and the other metadata', async () => {
    const b = backend('move-mtime')
    const data = Buffer.from('<p>same bytes</p>')
    const w = await b.write(p('old.html'), Readable.from([data]), { mtimeMs: 1_111_000, mode: 0o640 })
    const m = await b.move(p('old.html'), p('new.html'), { expect: null, mtimeMs: 3_333_000 })
    expect(m).toMatchObject({ path: 'new.html', size: data.length, mtimeMs: 3_333_000, mode: 0o640 })
    expect(await b.stat(p('new.html'))).toMatchObject({ mtimeMs: 3_333_000, mode: 0o640, version: w.version })
    const head = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}new.html` }))
    expect(head.ContentType).toBe('text/html')
    expect(head.Metadata).toMatchObject({ mode: expect.any(String), mtime: expect.stringMatching(/^3333\./) })
    expect((await listAll(b)).map(show)).toEqual(['new.html'])
    expect(await buffer(await b.read(p('new.html')))).toEqual(data)
    // Given to the nanosecond (a local source's), the mtime is stored so (rclone compares it so).
    await b.move(p('new.html'), p('ns.html'), { expect: null, mtimeMs: 3_333_000.123457, mtimeNs: 3_333_000_123_456n })
    const ns = await raw.send(new HeadObjectCommand({ Bucket: env.bucket, Key: `${b.prefix}ns.html` }))
    expect(ns.Metadata?.mtime).toBe('3333.000123456')
  })

  it('copies from another S3Backend on the same service without streaming, and declines others', async () => {
    const src = backend('copyfrom-src')
    const dst = backend('copyfrom-dst')
    await src.write(p('f'), Readable.from([Buffer.from('abc')]), { mtimeMs: 5_000, mode: 0o644 })
    const e = await dst.copyFrom(src, p('f'), p('g/f'), { size: 3, mtimeMs: 5_000, mode: 0o644 }, { expect: null })
    expect(e).toMatchObject({ path: 'g/f', size: 3, mtimeMs: 5_000, mode: 0o644 })
    expect(await buffer(await dst.read(p('g/f')))).toEqual(Buffer.from('abc'))
    expect(await dst.stat(p('g/f'))).toMatchObject({ mtimeMs: 5_000, mode: 0o644 })
    const other: Backend = { ...src, uri: 'mem://x' } as unknown as Backend
    expect(await dst.copyFrom(other, p('f'), p('h'), { mtimeMs: 0 })).toBeUndefined()
  })

  it('aborts multipart uploads left by a killed run when it first writes, and says so', async () => {
    const b = backend('stale', { abortStaleUploadsAfterMs: 0 })
    const created = await raw.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: `${b.prefix}half.bin` }))
    const uploads = async () =>
      (await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: b.prefix }))).Uploads ?? []
    const notices: string[] = []
    const write = (x: S3Backend) => x.write(p('small.txt'), Readable.from([Buffer.from('x')]), { mtimeMs: 1000 })
    // The default threshold (24 h) leaves a fresh upload alone: it may belong to a running job.
    const patient = backend('unused', { prefix: b.prefix })
    await listAll(patient, [], notices)
    await write(patient)
    await patient.close()
    expect(notices).toEqual([])
    expect((await uploads()).map((u) => u.UploadId)).toEqual([created.UploadId])
    // A listing alone changes nothing (a source is only read): the first write starts the clean-up.
    await listAll(b, [], notices)
    expect((await uploads()).map((u) => u.UploadId)).toEqual([created.UploadId])
    await write(b)
    await expect.poll(uploads).toEqual([])
    await expect.poll(() => notices).toEqual([expect.stringContaining('aborted an unfinished multipart upload')])
  })

  it('aborts the upload a killed run left of a file as soon as that file is uploaded again', async () => {
    const b = backend('killed', { multipartThreshold: 6 * MiB, partSize: 5 * MiB })
    const left = await raw.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: `${b.prefix}big.bin` }))
    const other = await raw.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: `${b.prefix}other.bin` }))
    const uploads = async () =>
      ((await raw.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: b.prefix }))).Uploads ?? []).map(
        (u) => u.UploadId,
      )
    const notices: string[] = []
    await listAll(b, [], notices)
    // Young (under the 24 h threshold): left alone by the listing, which may not know whose they are.
    expect(notices).toEqual([])
    expect((await uploads()).sort()).toEqual([left.UploadId, other.UploadId].sort())
    const data = randomBytes(7 * MiB)
    await b.write(p('big.bin'), Readable.from([data]), { size: data.length, mtimeMs: 1000 })
    expect(notices).toEqual([expect.stringMatching(/aborted an unfinished multipart upload of .*big\.bin/)])
    // The leftover of big.bin is gone; the other key's upload (maybe a running job's) is untouched.
    expect(await uploads()).toEqual([other.UploadId])
    expect(md5(await buffer(await b.read(p('big.bin'))))).toBe(md5(data))
  })

  describe('errors', () => {
    it('turns rejected credentials into AUTH, naming where they came from', async () => {
      const b = backend('auth', { credentials: { accessKeyId: env.accessKeyId, secretAccessKey: 'wrong' } })
      const err = await listAll(b).catch((e: SyncError) => e)
      expect(err).toMatchObject({ code: 'AUTH', hint: expect.stringContaining('given to syncflow') })
      expect((err as SyncError).retryable).toBe(false)
    })

    it('names the environment variables when the credentials came from there', async () => {
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY }
      process.env.AWS_ACCESS_KEY_ID = 'NOSUCHKEY'
      process.env.AWS_SECRET_ACCESS_KEY = 'nosuchsecret'
      try {
        const b = createS3Backend({ bucket: env.bucket, endpoint: env.endpoint, region: env.region })
        opened.push(b)
        await expect(b.stat(p('x'))).rejects.toMatchObject({
          code: 'AUTH',
          hint: expect.stringContaining('AWS_ACCESS_KEY_ID'),
        })
      } finally {
        for (const [k, v] of [
          ['AWS_ACCESS_KEY_ID', saved.id],
          ['AWS_SECRET_ACCESS_KEY', saved.key],
        ] as const) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      }
    })

    it('names the credentials file of AWS_SHARED_CREDENTIALS_FILE when a profile there is refused', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-creds-'))
      const file = join(dir, 'creds')
      await writeFile(file, `[work]\naws_access_key_id = NOSUCHKEY\naws_secret_access_key = nosuchsecret\n`)
      const names = ['AWS_SHARED_CREDENTIALS_FILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const
      const saved = names.map((k) => [k, process.env[k]] as const)
      process.env.AWS_SHARED_CREDENTIALS_FILE = file
      delete process.env.AWS_ACCESS_KEY_ID
      delete process.env.AWS_SECRET_ACCESS_KEY
      try {
        const b = createS3Backend({ bucket: env.bucket, endpoint: env.endpoint, region: env.region, profile: 'work' })
        opened.push(b)
        await expect(b.stat(p('x'))).rejects.toMatchObject({ code: 'AUTH', hint: expect.stringContaining(file) })
      } finally {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
        await rm(dir, { recursive: true, force: true })
      }
    })

    it('turns a missing bucket into NOT_FOUND naming the bucket, never an empty listing', async () => {
      const b = backend('nobucket', { bucket: 'syncflow-no-such-bucket' })
      const err = await listAll(b).catch((e: SyncError) => e)
      expect(err).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('syncflow-no-such-bucket') })
      expect(await b.rootExists()).toBe(false)
    })

    it('turns a refused connection into TRANSIENT', async () => {
      const b = backend('refused', { endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 1 })
      await expect(listAll(b)).rejects.toMatchObject({ code: 'TRANSIENT' })
    })
  })

  describe('request counts (through a counting proxy)', () => {
    const N = 2345
    let prefix: string
    beforeAll(async () => {
      prefix = uniquePrefix(env, 'count')
      const keys = Array.from({ length: N }, (_, i) => `${prefix}/d${i % 7}/f${i}`)
      for (let i = 0; i < keys.length; i += 64) await Promise.all(keys.slice(i, i + 64).map((k) => put(k)))
    }, 120_000)

    it(`lists ${N} objects with ceil(N/1000) LIST calls and nothing else`, async () => {
      const proxy = await startCountingProxy(env.endpoint)
      try {
        const b = testBackend(env, {
          prefix,
          endpoint: proxy.url,
          abortStaleUploadsAfterMs: false,
        })
        opened.push(b)
        const listed = await listAll(b)
        expect(listed).toHaveLength(N)
        expect(proxy.counts).toEqual({ LIST: Math.ceil(N / 1000) })
      } finally {
        await proxy.close()
      }
    })

    it('skips a pruned directory without paging through it', async () => {
      const proxy = await startCountingProxy(env.endpoint)
      try {
        const b = testBackend(env, {
          prefix,
          endpoint: proxy.url,
          abortStaleUploadsAfterMs: false,
        })
        opened.push(b)
        const listed: Entry[] = []
        for await (const e of b.list({ prune: (d) => d !== 'd6' })) listed.push(e)
        // The pruned directories themselves are listed (as a local listing lists them), not their keys.
        expect(listed.filter((e) => e.kind === 'dir').map((e) => e.path)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5'])
        expect(listed.filter((e) => e.kind === 'file')).toHaveLength(Math.floor(N / 7))
        // d0…d5 are each jumped over after one page; d6 (335 keys) takes one more.
        expect(proxy.counts.LIST).toBeLessThanOrEqual(7)
      } finally {
        await proxy.close()
      }
    })

    it('writes a small file with one PUT, and a new one with no HEAD (conditional PUT)', async () => {
      const proxy = await startCountingProxy(env.endpoint)
      try {
        const b = backend('count-write', { endpoint: proxy.url })
        await b.write(p('new'), Readable.from([Buffer.from('x')]), { mtimeMs: 1 }, { expect: null })
        await b.write(p('new2'), Readable.from([Buffer.from('y')]), { mtimeMs: 1 }, { expect: null })
        await b.close()
        // Plus, once per backend, the clean-up of unfinished uploads that its first write starts.
        expect(proxy.counts).toEqual({ PUT: 2, LIST_UPLOADS: 1 })
      } finally {
        await proxy.close()
      }
    })
  })

  it('opens through the plugin with the s3Endpoint option', async () => {
    expect(s3Backend.schemes).toEqual(['s3'])
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY }
    process.env.AWS_ACCESS_KEY_ID = env.accessKeyId
    process.env.AWS_SECRET_ACCESS_KEY = env.secretAccessKey
    try {
      const prefix = uniquePrefix(env, 'plugin')
      const b = await s3Backend.open(`s3://${env.bucket}/${prefix}/`, { s3Endpoint: env.endpoint })
      opened.push(b)
      expect(b.uri).toBe(`s3://${env.bucket}/${prefix}`)
      await b.write(p('f'), Readable.from([Buffer.from('x')]), { mtimeMs: 1 })
      expect((await listAll(b)).map(show)).toEqual(['f'])
    } finally {
      for (const [k, v] of [
        ['AWS_ACCESS_KEY_ID', saved.id],
        ['AWS_SECRET_ACCESS_KEY', saved.key],
      ] as const) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  })
})
