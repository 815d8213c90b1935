import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { Entry, RelPath } from '@syncflow/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { S3Backend } from '../src/index.js'
import { SERVICE_MEMORY_TTL_MS } from '../src/service-memory.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const p = (s: string) => s as RelPath

/**
 * What the first update learns about If-Match (if-match.test.ts) is kept for a day in the memory
 * file (`serviceMemory`), so that each later run's updates are their PUTs alone; an answer the
 * service contradicts is dropped and learnt again, never trusted further.
 */
describeS3('S3Backend remembers how the service takes If-Match (through a counting proxy)', (env) => {
  const raw = rawClient(env)
  let proxy: CountingProxy
  let dir: string
  let prefix: string
  let service: string
  const opened: S3Backend[] = []
  const open = (memory: string): S3Backend => {
    const b = testBackend(env, {
      prefix,
      endpoint: proxy.url,
      serviceMemory: memory,
    })
    opened.push(b)
    return b
  }
  const write = (b: S3Backend, name: string, text: string, expect?: Entry) =>
    b.write(
      p(name),
      Readable.from([Buffer.from(text)]),
      { size: Buffer.byteLength(text), mtimeMs: 1_700_000_000_000 },
      expect === undefined ? {} : { expect },
    )
  const content = async (name: string) => {
    const out = await raw.send(new GetObjectCommand({ Bucket: env.bucket, Key: `${prefix}/${name}` }))
    return (await buffer(out.Body as Readable)).toString()
  }
  const remembered = (form: string, learnt = Date.now()) =>
    JSON.stringify({ version: 1, services: { [service]: { putIfMatch: { form, learnt } } } })
  const putIfMatchIn = async (memory: string) =>
    JSON.parse(await readFile(memory, 'utf8')).services[service]?.putIfMatch

  beforeAll(async () => {
    proxy = await startCountingProxy(env.endpoint)
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-if-match-memory-'))
    prefix = uniquePrefix(env, 'if-match-memory')
    service = `${proxy.url} ${env.bucket}`
  })
  afterAll(async () => {
    await Promise.all(opened.map((b) => b.close()))
    await proxy?.close()
    raw.destroy()
    await rm(dir, { recursive: true, force: true })
  })

  it('a later backend (the next run) recalls the answer: its first update is one PUT', async () => {
    const memory = join(dir, 'next-run.json')
    const first = open(memory)
    const a = await write(first, 'a', 'first a')
    const b = await write(first, 'b', 'first b')
    proxy.reset()
    await write(first, 'a', 'second a', a)
    // Learning (if-match.test.ts): on radosgw 16 a HEAD and four PUTs.
    if (env.radosgw) expect(proxy.counts).toEqual({ HEAD: 1, PUT: 4 })
    await first.close()
    if (env.radosgw) expect(await putIfMatchIn(memory)).toEqual({ form: 'unquoted', learnt: expect.any(Number) })

    const next = open(memory)
    proxy.reset()
    await write(next, 'b', 'second b', b)
    expect(await content('b')).toBe('second b')
    // (LIST_UPLOADS: the clean-up of a backend's first write, see s3-backend.test.ts.)
    expect(proxy.counts).toEqual({ LIST_UPLOADS: 1, PUT: 1 })
  })

  it('an answer older than a day is learnt again', async () => {
    if (!env.radosgw) return
    const memory = join(dir, 'expired.json')
    await writeFile(memory, remembered('unquoted', Date.now() - SERVICE_MEMORY_TTL_MS - 1000))
    const b = open(memory)
    const c = await write(b, 'c', 'first c')
    proxy.reset()
    await write(b, 'c', 'second c', c)
    expect(proxy.counts).toEqual({ HEAD: 1, PUT: 4 })
    await b.close()
    expect((await putIfMatchIn(memory)).learnt).toBeGreaterThan(Date.now() - 60_000)
  })

  it('a remembered "none" is a HEAD and a PUT per update, as without If-Match', async () => {
    const memory = join(dir, 'none.json')
    await writeFile(memory, remembered('none'))
    const b = open(memory)
    const d = await write(b, 'd', 'first d')
    proxy.reset()
    await write(b, 'd', 'second d', d)
    expect(proxy.counts).toEqual({ HEAD: 1, PUT: 1 })
  })

  it('a remembered form the service refuses for the unchanged object is dropped and learnt again: the update is written', async () => {
    if (!env.radosgw) return
    const memory = join(dir, 'contradicted.json')
    // radosgw 16 refuses the quoted form even for the right ETag.
    await writeFile(memory, remembered('quoted'))
    const b = open(memory)
    const e = await write(b, 'e', 'first e')
    const f = await write(b, 'f', 'first f')
    proxy.reset()
    await write(b, 'e', 'second e', e)
    expect(await content('e')).toBe('second e')
    // The refused PUT, the HEAD that finds the object as planned, then learning: a HEAD and four PUTs.
    expect(proxy.counts).toEqual({ PUT: 5, HEAD: 2 })
    proxy.reset()
    await write(b, 'f', 'second f', f)
    expect(proxy.counts).toEqual({ PUT: 1 })
    await b.close()
    expect(await putIfMatchIn(memory)).toEqual({ form: 'unquoted', learnt: expect.any(Number) })
  })

  it('with a remembered form, an object changed behind its back is still left as the other writer made it', async () => {
    const memory = join(dir, 'conflict.json')
    const b = open(memory)
    const g = await write(b, 'g', 'first g')
    const h = await write(b, 'h', 'first h')
    await write(b, 'g', 'second g', g) // learns
    await b.close()
    const next = open(memory)
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/h`, Body: 'other writer' }))
    await expect(write(next, 'h', 'second h', h)).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await content('h')).toBe('other writer')
    if (env.radosgw) expect(await putIfMatchIn(memory)).toMatchObject({ form: 'unquoted' })
  })
})
