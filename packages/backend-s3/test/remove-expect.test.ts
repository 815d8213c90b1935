import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import type { Entry, RelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { S3Backend } from '../src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

const p = (s: string) => s as RelPath

/**
 * `remove(path, { expect })` (capabilities.removeExpect): the object is deleted only while it is
 * still the planned one. radosgw 16 ignores If-Match on DeleteObject (a DELETE with a wrong ETag
 * deletes), which the first delete finds out on a scratch object of its own: then a HEAD before
 * each DELETE. The proxy's `deleteIfMatch` plays a service that honours it (AWS): one DELETE each.
 */
describeS3('S3Backend deletes with expect (through a counting proxy)', (env) => {
  const raw = rawClient(env)
  let dir: string
  afterAll(async () => {
    raw.destroy()
    if (dir) await rm(dir, { recursive: true, force: true })
  })
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-remove-'))
  })

  /** A backend under `prefix` through `proxy`, keeping what it learns in `memory`. */
  const backend = (proxy: CountingProxy, prefix: string, memory: string | false): S3Backend =>
    testBackend(env, {
      prefix,
      endpoint: proxy.url,
      serviceMemory: memory,
    })
  const put = (b: S3Backend, name: string, text: string): Promise<Entry> =>
    b.write(p(name), Readable.from([Buffer.from(text)]), { size: Buffer.byteLength(text), mtimeMs: 1_700_000_000_000 })
  const keys = async (prefix: string): Promise<string[]> => {
    const out = await raw.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: `${prefix}/` }))
    return (out.Contents ?? []).map((o) => o.Key!.slice(prefix.length + 1))
  }
  const memoryOf = async (file: string) => JSON.parse(await readFile(file, 'utf8')).services

  describe('on the test server itself', () => {
    let proxy: CountingProxy
    let b: S3Backend
    let prefix: string
    let memory: string
    const opened: S3Backend[] = []
    beforeAll(async () => {
      proxy = await startCountingProxy(env.endpoint)
      prefix = uniquePrefix(env, 'remove')
      memory = join(dir, 'plain.json')
      b = backend(proxy, prefix, memory)
      opened.push(b)
    })
    afterAll(async () => {
      await Promise.all(opened.map((o) => o.close()))
      await proxy?.close()
    })

    it('the first delete probes on a scratch object of its own, which it leaves deleted; then a HEAD and a DELETE', async () => {
      const a = await put(b, 'a', 'planned a')
      proxy.reset()
      await b.remove(p('a'), { expect: a })
      expect(await keys(prefix)).toEqual([])
      if (env.radosgw) {
        // The scratch PUT, a DELETE with an ETag no object has (which radosgw carries out: the
        // header is ignored), then the re-check of `a` and its DELETE.
        expect(proxy.log.filter((l) => !l.endsWith(' done'))).toEqual(['PUT', 'DELETE', 'HEAD', 'DELETE'])
        await b.close() // writes down what was learnt
        expect(Object.values(await memoryOf(memory))).toEqual([
          { deleteIfMatch: { form: 'none', learnt: expect.any(Number) } },
        ])
      }
    })

    it('an object changed behind its back is left as the other writer made it: CONFLICT', async () => {
      const b2 = backend(proxy, prefix, memory)
      opened.push(b2)
      const c = await put(b2, 'c', 'planned c')
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/c`, Body: 'other writer' }))
      proxy.reset()
      await expect(b2.remove(p('c'), { expect: c })).rejects.toMatchObject({ code: 'CONFLICT' })
      expect(await keys(prefix)).toEqual(['c'])
      // The answer learnt by the first backend is remembered: no probe, the HEAD alone refuses.
      if (env.radosgw) expect(proxy.counts).toEqual({ HEAD: 1 })
    })

    it('an object already gone is no error, and costs its HEAD only', async () => {
      const b3 = backend(proxy, prefix, memory)
      opened.push(b3)
      const d = await put(b3, 'd', 'planned d')
      await b3.remove(p('d'))
      proxy.reset()
      await b3.remove(p('d'), { expect: d })
      if (env.radosgw) expect(proxy.counts).toEqual({ HEAD: 1 })
    })
  })

  describe('on a service that honours If-Match on DeleteObject (the proxy plays AWS)', () => {
    let proxy: CountingProxy
    let prefix: string
    const opened: S3Backend[] = []
    beforeAll(async () => {
      proxy = await startCountingProxy(env.endpoint, {
        deleteIfMatch: async (path) => {
          const [, bucket, ...rest] = path.split('?')[0]!.split('/')
          try {
            const head = await raw.send(
              new HeadObjectCommand({ Bucket: decodeURIComponent(bucket!), Key: decodeURIComponent(rest.join('/')) }),
            )
            return head.ETag
          } catch {
            return undefined
          }
        },
      })
      prefix = uniquePrefix(env, 'remove-aws')
    })
    afterAll(async () => {
      await Promise.all(opened.map((o) => o.close()))
      await proxy?.close()
    })
    const open = (memory: string | false) => {
      const b = backend(proxy, prefix, memory)
      opened.push(b)
      return b
    }

    it('learns the quoted form on its scratch object; then each delete is one DELETE, remembered for the next run', async () => {
      const memory = join(dir, 'aws.json')
      const b = open(memory)
      const entries = await Promise.all(['a', 'b', 'c'].map((n) => put(b, n, `planned ${n}`)))
      proxy.reset()
      await Promise.all(entries.map((e) => b.remove(e.path, { expect: e })))
      expect(await keys(prefix)).toEqual([])
      // Scratch PUT, a wrong quoted ETag (refused), its own quoted ETag (deleted), then one DELETE per object.
      expect(proxy.counts).toEqual({ PUT: 1, DELETE: 2 + 3 })
      await b.close()

      const next = open(memory)
      const d = await put(next, 'd', 'planned d')
      proxy.reset()
      await next.remove(p('d'), { expect: d })
      expect(proxy.counts).toEqual({ DELETE: 1 })
      expect(await keys(prefix)).toEqual([])
    })

    it('an object changed behind its back: the service refuses, one HEAD confirms, CONFLICT and the object kept', async () => {
      const b = open(false)
      const e = await put(b, 'e', 'planned e')
      await b.remove(p('nothing-there'), { expect: { ...e, path: p('nothing-there') } }) // learns
      await raw.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/e`, Body: 'other writer' }))
      proxy.reset()
      await expect(b.remove(p('e'), { expect: e })).rejects.toMatchObject({ code: 'CONFLICT' })
      expect(proxy.counts).toEqual({ DELETE: 1, HEAD: 1 })
      expect(await keys(prefix)).toEqual(['e'])
    })

    it('a remembered answer the service contradicts (it refuses the planned ETag) is forgotten and learnt again', async () => {
      const memory = join(dir, 'wrong.json')
      const service = `${proxy.url} ${env.bucket}`
      // As if learnt from another service behind the same URL: the bare form, which AWS does not take.
      await writeFile(
        memory,
        JSON.stringify({
          version: 1,
          services: { [service]: { deleteIfMatch: { form: 'unquoted', learnt: Date.now() } } },
        }),
      )
      const b = open(memory)
      const f = await put(b, 'f', 'planned f')
      const g = await put(b, 'g', 'planned g')
      proxy.reset()
      // Refused (412), the HEAD finds it as planned: deleted after that HEAD, the answer dropped.
      await b.remove(p('f'), { expect: f })
      expect(proxy.log.filter((l) => !l.endsWith(' done'))).toEqual(['DELETE', 'HEAD', 'DELETE'])
      proxy.reset()
      // The next delete learns again (scratch PUT, two DELETEs), then is one DELETE.
      await b.remove(p('g'), { expect: g })
      expect(proxy.counts).toEqual({ PUT: 1, DELETE: 3 })
      expect(await keys(prefix)).toEqual(['e']) // the other writer's, from the test before
      await b.close()
      expect((await memoryOf(memory))[service]).toEqual({
        deleteIfMatch: { form: 'quoted', learnt: expect.any(Number) },
      })
    })
  })
})
