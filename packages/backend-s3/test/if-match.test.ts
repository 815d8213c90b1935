import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { Entry, RelPath } from '@syncflow/core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { S3Backend } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const p = (s: string) => s as RelPath

/**
 * Updates re-checked by the service itself (If-Match) instead of a HEAD before each PUT: the first
 * update of a backend finds out whether and how the service honours it (learn-if-match.ts, where
 * the other kinds of service are covered); radosgw 16 takes the bare ETag.
 */
describeS3('S3Backend updates with If-Match (through a counting proxy)', (env) => {
  const raw = rawClient(env)
  let proxy: CountingProxy
  let b: S3Backend
  let prefix: string
  const entries = new Map<string, Entry>()
  const write = (name: string, text: string, expect?: Entry | null) =>
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

  beforeAll(async () => {
    proxy = await startCountingProxy(env.endpoint)
    prefix = uniquePrefix(env, 'if-match')
    b = testBackend(env, {
      prefix,
      endpoint: proxy.url,
    })
    for (const name of ['a', 'b', 'c', 'd']) entries.set(name, await write(name, `first ${name}`))
  })
  afterAll(async () => {
    await b?.close()
    await proxy?.close()
    raw.destroy()
  })

  it('the first update learns the form with one HEAD; every later one is a single PUT', async () => {
    proxy.reset()
    await write('a', 'second a', entries.get('a'))
    expect(await content('a')).toBe('second a')
    const first = { ...proxy.counts }
    expect(first.HEAD).toBe(1)
    // A probe PUT with an ETag no object has (refused), then the real ETag: quoted, and where that
    // is refused as by radosgw 16, the same two bare. A service that ignores If-Match writes on the probe.
    if (env.radosgw) expect(first).toEqual({ HEAD: 1, PUT: 4 })
    else expect(first.PUT).toBeGreaterThanOrEqual(1)

    proxy.reset()
    await write('b', 'second b', entries.get('b'))
    expect(await content('b')).toBe('second b')
    if (env.radosgw) expect(proxy.counts).toEqual({ PUT: 1 })
  })

  it('an object changed behind its back is left as the other writer made it: CONFLICT, one refused PUT', async () => {
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/c`, Body: 'other writer' }))
    proxy.reset()
    await expect(write('c', 'second c', entries.get('c'))).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(await content('c')).toBe('other writer')
    // The refusal is followed by one HEAD: was it our own PUT, landed once already? (No.)
    if (env.radosgw) expect(proxy.counts).toEqual({ PUT: 1, HEAD: 1 })
  })

  // The SDK sends a PUT again when its answer was lost (a reset connection); if the first one
  // landed, the second is refused on its If-Match: the write did happen, and is no conflict.
  it('a refused update whose body the object already holds (a retried PUT that landed) is a success', async () => {
    const before = await write('e', 'first e')
    await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/e`, Body: 'second e' }))
    const written = await write('e', 'second e', before)
    expect(written).toMatchObject({ path: 'e', size: 8 })
    expect(await content('e')).toBe('second e')
  })

  it('an object deleted behind its back is not brought back: CONFLICT', async () => {
    await raw.send(new DeleteObjectCommand({ Bucket: env.bucket, Key: `${prefix}/d` }))
    await expect(write('d', 'second d', entries.get('d'))).rejects.toMatchObject({ code: 'CONFLICT' })
    const listed: string[] = []
    for await (const e of b.list({ onError: (err) => expect.fail(err.message) })) listed.push(e.path)
    expect(listed).toEqual(['a', 'b', 'c', 'e'])
  })
})
