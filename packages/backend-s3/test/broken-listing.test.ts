import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
// A test-only import of the sibling package (not a dependency of this one).
import { createLocalBackend } from '../../backend-local/src/index.js'
import { type CountingProxy, startCountingProxy } from './counting-proxy.js'
import { testBackend, uniquePrefix } from './s3-test-backend.js'
import { describeS3 } from './s3-test-env.js'

/**
 * Listings a proxy or a service broke. One answered 200 with a page that is no ListBucketResult (a proxy's or captive portal's
 * HTML): the SDK parses it as a page with no keys that is not truncated. It must fail the listing,
 * never end it: a mirror from S3 deleted every local file of the later pages.
 */
describeS3('S3 listings broken on the way', (env) => {
  const N = 1001 // two pages of ListObjectsV2
  let dir: string
  let proxy: CountingProxy
  let prefix: string
  let htmlFor: ((url: string) => boolean) | undefined
  /** The body of a 200 XML answer to every LIST instead of the server's, while set. */
  let listBody: string | undefined
  /** LIST requests for a page after the first still to answer 503 SlowDown. */
  let slowDowns = 0
  /** The body of a 200 XML answer to the LISTs of a page after the first, while set. */
  let laterPages: string | undefined

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncflow-s3-not-s3-'))
    prefix = uniquePrefix(env, 'not-s3')
    proxy = await startCountingProxy(env.endpoint, {
      answer: (op, url) => {
        if (op !== 'LIST') return undefined
        if (listBody !== undefined) return { status: 200, contentType: 'application/xml', body: listBody }
        if (laterPages !== undefined && url.includes('continuation-token=')) {
          return { status: 200, contentType: 'application/xml', body: laterPages }
        }
        if (slowDowns > 0 && url.includes('continuation-token=')) {
          slowDowns--
          const body =
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Slow down</Message></Error>'
          return { status: 503, contentType: 'application/xml', body }
        }
        return htmlFor?.(url)
          ? { status: 200, contentType: 'text/html', body: '<html><body>Proxy error</body></html>' }
          : undefined
      },
    })
    const src = join(dir, 'src')
    await mkdir(src)
    const upload = testBackend(env, { prefix })
    await Promise.all(
      Array.from({ length: N }, (_, i) => writeFile(join(src, `f${String(i).padStart(4, '0')}`), `${i}`)),
    )
    const events = await lastValueFrom(
      sync(createLocalBackend({ root: src }), upload, { mode: 'mirror' }).pipe(toArray()),
    )
    expect(events.filter((e) => e.type === 'failed')).toEqual([])
    await upload.close()
  })
  afterAll(async () => {
    await proxy?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('a mirror from S3 whose second page is such a page deletes nothing and says the endpoint is not S3', async () => {
    const dl = join(dir, 'dl')
    const source = () => testBackend(env, { prefix, endpoint: proxy.url })
    const first = source()
    await lastValueFrom(sync(first, createLocalBackend({ root: dl }), { mode: 'mirror' }).pipe(toArray()))
    await first.close()
    expect(await readdir(dl)).toHaveLength(N)

    htmlFor = (url) => url.includes('continuation-token=')
    const s3 = source()
    const events: SyncEvent[] = await lastValueFrom(
      sync(s3, createLocalBackend({ root: dl }), { mode: 'mirror' }).pipe(toArray()),
    )
    await s3.close()
    htmlFor = undefined
    expect(events.filter((e) => e.type === 'completed')).toEqual([])
    expect(await readdir(dl)).toHaveLength(N)
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'failed',
        stage: 'list',
        side: 'source',
        error: expect.objectContaining({
          code: 'USAGE',
          message: expect.stringContaining('did not answer as an S3 service'),
        }),
      }),
    )
  })

  it('rootExists and list through such a page fail, as not S3, rather than find nothing', async () => {
    htmlFor = () => true
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    try {
      await expect(s3.rootExists()).rejects.toMatchObject({ code: 'USAGE' })
      await expect(
        (async () => {
          for await (const _ of s3.list()) {
            // (nothing: the page has no keys)
          }
        })(),
      ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('ListBucketResult') })
    } finally {
      htmlFor = undefined
      await s3.close()
    }
  })

  it('a page that says it is truncated but gives no continuation token fails the listing, not ends it', async () => {
    // A broken service (or proxy): rclone says "s3 protocol error" too. Ended there, the listing
    // read as complete, and a mirror from it deleted every target file of the pages not given.
    listBody = [
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${env.bucket}</Name><Prefix>${prefix}/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>`,
      '<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>',
      `<Contents><Key>${encodeURIComponent(`${prefix}/f0000`)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>`,
      '<ETag>"cfcd208495d565ef66e7dff9f98764da"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>',
      '</ListBucketResult>',
    ].join('')
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    const listed: string[] = []
    try {
      await expect(
        (async () => {
          for await (const e of s3.list()) listed.push(e.path)
        })(),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('NextContinuationToken') })
    } finally {
      listBody = undefined
      await s3.close()
    }
    expect(listed).toEqual(['f0000'])
  })

  it('an XML answer cut short on the way is TRANSIENT (run again), not an internal error', async () => {
    listBody = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${env.bucket}</Name><Contents><Key>${prefix}/f`
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    try {
      await expect(s3.rootExists()).rejects.toMatchObject({
        code: 'TRANSIENT',
        message: expect.stringContaining('could not be read (XML cut short or garbled on the way'),
      })
    } finally {
      listBody = undefined
      await s3.close()
    }
  })

  it('a page refused 503 SlowDown more times than the SDK tries is tried again: the listing completes', async () => {
    // The engine retries transfers, not listings: one throttled page failed the whole run.
    slowDowns = 4 // the SDK's 3 tries of the first attempt, and the first of the next
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    let n = 0
    try {
      for await (const _ of s3.list()) n++
    } finally {
      await s3.close()
    }
    expect(slowDowns).toBe(0)
    expect(n).toBe(N)
  })

  it('a service that gives the first page again for the next one fails the listing, never loops', async () => {
    // It ignores the continuation token: the listing went round for ever (`ls` never ended).
    laterPages = [
      '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
      `<Name>${env.bucket}</Name><Prefix>${prefix}/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys>`,
      '<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken>',
      `<Contents><Key>${encodeURIComponent(`${prefix}/f0000`)}</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>`,
      '<ETag>"cfcd208495d565ef66e7dff9f98764da"</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents>',
      '</ListBucketResult>',
    ].join('')
    const s3 = testBackend(env, { prefix, endpoint: proxy.url })
    let n = 0
    try {
      await expect(
        (async () => {
          for await (const _ of s3.list()) {
            // (Bounded, so that the loop this guards against fails the test rather than hangs it.)
            if (++n > 2 * N) throw new Error('the listing went round')
          }
        })(),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('not after') })
    } finally {
      laterPages = undefined
      await s3.close()
    }
    expect(n).toBe(1000)
  })
})
