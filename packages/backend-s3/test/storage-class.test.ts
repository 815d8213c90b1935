import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { Entry, RelPath } from '@syncflow/core'
import { writeText } from '@syncflow/core/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
// Test-only imports of the CLI's test helpers: the run is the built binary's, as a user's.
import { buildCli, runCli } from '../../cli-tui/test/helpers/cli.js'
import { rawClient } from './raw-client.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { credentialsEnv, describeS3 } from './s3-test-env.js'

// --s3-storage-class (S3BackendOptions.storageClass) on the real server, in a class it offers besides
// STANDARD (the test radosgw's COLD). A server-side copy lands in STANDARD unless told otherwise: a
// touch (an object copied onto itself with a new mtime) moved an object out of its class.

const p = (s: string) => s as RelPath
const MiB = 1024 * 1024

describeS3('storage classes', (env) => {
  const cls = env.storageClass
  if (cls === undefined) {
    it.skip('(skipped: S3_TEST_STORAGE_CLASS names no class besides STANDARD on this server)', () => {})
    return
  }
  const client = rawClient(env)
  const classOf = async (key: string): Promise<string> =>
    (await client.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }))).StorageClass ?? 'STANDARD'
  let dir: string
  beforeAll(async () => {
    buildCli()
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-class-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('every object written lands in storageClass: a PUT, a multipart upload, a copy to a new key', async () => {
    const prefix = uniquePrefix(env, 'class-write')
    const b = testBackend(env, { prefix, storageClass: cls, multipartThreshold: 6 * MiB, partSize: 5 * MiB })
    try {
      await writeText(b, 'small', 'x')
      await writeText(b, 'big', Buffer.alloc(11 * MiB, 7))
      await b.copy(p('small'), p('copied'))
      for (const key of ['small', 'big', 'copied']) expect(await classOf(`${prefix}/${key}`), key).toBe(cls)
    } finally {
      await b.close()
    }
  })

  it("a new mtime or mode keeps the object's class; a copy without storageClass keeps its source's", async () => {
    const prefix = uniquePrefix(env, 'class-keep')
    // Put there in the class by another tool (or a lifecycle rule), written by a backend told nothing.
    await client.send(
      new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/f`, Body: 'cold', StorageClass: cls as 'STANDARD' }),
    )
    const b = testBackend(env, { prefix })
    try {
      await b.setMtime(p('f'), 1_700_000_000_000)
      expect(await classOf(`${prefix}/f`)).toBe(cls)
      await b.setMode(p('f'), 0o600)
      expect(await classOf(`${prefix}/f`)).toBe(cls)
      await b.copy(p('f'), p('g'))
      expect(await classOf(`${prefix}/g`)).toBe(cls)
      // And one told to write STANDARD moves a copy there, but not the object it touches.
      const standard = testBackend(env, { prefix, storageClass: 'STANDARD' })
      try {
        await standard.setMtime(p('f'), 1_700_000_001_000)
        expect(await classOf(`${prefix}/f`)).toBe(cls)
        await standard.copy(p('f'), p('h'))
        expect(await classOf(`${prefix}/h`)).toBe('STANDARD')
      } finally {
        await standard.close()
      }
    } finally {
      await b.close()
    }
  })

  // radosgw refuses a class it lacks with a bare InvalidArgument, as a service that rejects If-Match
  // outright does: an update in such a class wrote down "If-Match: none" for the service for a day,
  // and the next day's updates (without the flag) went unconditional, after a HEAD.
  it('a class the service lacks does not teach the backend that the service refuses If-Match', async () => {
    const prefix = uniquePrefix(env, 'class-if-match')
    const memory = join(dir, 'class-if-match.json')
    const service = `${env.endpoint} ${env.bucket}`
    const putIfMatch = async () => JSON.parse(await readFile(memory, 'utf8')).services[service]?.putIfMatch?.form
    const write = (b: ReturnType<typeof testBackend>, text: string, expect?: Entry) =>
      b.write(
        p('f'),
        Readable.from([Buffer.from(text)]),
        { size: Buffer.byteLength(text), mtimeMs: 1_700_000_000_000 },
        expect === undefined ? {} : { expect },
      )
    const plain = testBackend(env, { prefix, serviceMemory: memory })
    let entry: Entry
    try {
      entry = await write(plain, 'one')
      entry = await write(plain, 'two', entry)
    } finally {
      await plain.close()
    }
    const learnt = await putIfMatch()
    expect(['quoted', 'unquoted']).toContain(learnt)
    const unknown = testBackend(env, { prefix, serviceMemory: memory, storageClass: 'NO_SUCH_CLASS' })
    try {
      await expect(write(unknown, 'three', entry)).rejects.toThrow(/storage class NO_SUCH_CLASS/)
    } finally {
      await unknown.close()
    }
    expect(await putIfMatch()).toBe(learnt)
  })

  it('syncflow sync --s3-storage-class writes in it, a re-run that only touches keeps it, and a class the service lacks is one clear error', async () => {
    const src = join(dir, 'src')
    await rm(src, { recursive: true, force: true })
    await mkdir(src, { recursive: true })
    await writeFile(join(src, 'a.txt'), 'a\n')
    await writeFile(join(src, 'b.txt'), 'b\n')
    const prefix = uniquePrefix(env, 'class-cli')
    const target = `s3://${env.bucket}/${prefix}`
    const sync = (...flags: string[]) =>
      runCli(['sync', src, target, '--s3-endpoint', env.endpoint, '--no-state', ...flags], {
        cwd: dir,
        env: credentialsEnv(env),
      })
    const first = await sync('--s3-storage-class', cls)
    expect(first.code, first.stderr).toBe(0)
    for (const key of ['a.txt', 'b.txt']) expect(await classOf(`${prefix}/${key}`)).toBe(cls)
    // Same bytes, new mtime: a touch, without the flag this time.
    await utimes(join(src, 'a.txt'), 1_700_000_000, 1_700_000_000)
    const touched = await sync('-v')
    expect(touched.code, touched.stderr).toBe(0)
    expect(touched.stdout + touched.stderr).toMatch(/touched\s+a\.txt/)
    expect(await classOf(`${prefix}/a.txt`)).toBe(cls)
    // Every write would be refused alike: the run stops after the first few, as for credentials.
    for (const name of ['c.txt', 'd.txt', 'e.txt', 'f.txt']) await writeFile(join(src, name), `${name}\n`)
    const refused = await sync('--s3-storage-class', 'NO_SUCH_CLASS', '--concurrency', '1')
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('transfers in a row were refused, none accepted')
    expect(refused.stderr).toContain('storage class NO_SUCH_CLASS')
    expect(refused.stderr).toContain('--s3-storage-class')
    expect(refused.stderr).not.toMatch(/\n\s+at /)
  })
})
