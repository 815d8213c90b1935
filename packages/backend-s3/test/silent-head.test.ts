import { Readable } from 'node:stream'
import type { Entry, RelPath } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import type { S3Backend } from '../src/index.js'
import { type SeenRequest, standInBackend, standInServer } from './stand-in-server.js'

/**
 * A HEAD made before anything is written (the re-check of the object to replace, a copy's source,
 * an MD5 asked of the service) ends at once when the run is interrupted: on a service that stopped
 * answering, one Ctrl-C waited for the SDK's tries × the I/O timeout (a minute and more) before the
 * run could stop. A stand-in endpoint takes every request and answers none.
 */
describe('a HEAD before a write, on a service that stopped answering', () => {
  // A listing is answered (nothing under the prefix); nothing else ever is.
  const silent = () =>
    standInServer((req, res) => {
      if (req.method === 'GET' && req.url.includes('list-type=2')) {
        res.writeHead(200, { 'content-type': 'application/xml' })
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bkt</Name><Prefix>p/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>',
        )
      }
    })
  const heads = (seen: readonly SeenRequest[]) => seen.filter((r) => r.method === 'HEAD').length
  // The SDK's three tries (its default) × 20 s would hold the stop a minute.
  const backend = (url: string): S3Backend =>
    standInBackend(url, { maxAttempts: 3, abortStaleUploadsAfterMs: false, ioTimeoutMs: 20_000 })

  const planned: Entry = { path: 'x' as RelPath, kind: 'file', size: 5, mtimeMs: 1_700_000_000_000 }

  const cases: ReadonlyArray<readonly [string, (b: S3Backend, signal: AbortSignal) => Promise<unknown>]> = [
    [
      'write (re-check of the object replaced)',
      (b, signal) =>
        b.write(
          'x' as RelPath,
          Readable.from([Buffer.from('hello')]),
          { size: 5, mtimeMs: 0 },
          { expect: planned, signal },
        ),
    ],
    ['copy (its source)', (b, signal) => b.copy('x' as RelPath, 'y' as RelPath, { signal })],
    ['hash (the MD5 the service holds)', (b, signal) => b.hash('x' as RelPath, 'md5', { signal })],
    // QA 21 F1: an empty prefix is asked whether it is an object (a first upload), by a HEAD.
    [
      'list (an empty prefix: is it an object?)',
      async (b, signal) => {
        for await (const _ of b.list({ signal })) {
          // nothing listed
        }
      },
    ],
  ]

  it.each(cases)(
    '%s ends as ABORTED as soon as the run is interrupted',
    async (_, call) => {
      const { url, seen } = await silent()
      const b = backend(url)
      const abort = new AbortController()
      const pending = call(b, abort.signal).catch((e: unknown) => e)
      await expect.poll(() => heads(seen)).toBe(1)
      const stopped = Date.now()
      abort.abort()
      expect(await pending).toMatchObject({ code: 'ABORTED' })
      expect(Date.now() - stopped).toBeLessThan(5_000)
      await b.close()
    },
    30_000,
  )

  // ReadOptions.signal: the GET of a read the service does not answer ends with the run too (the
  // engine stops waiting for it anyway; this cuts the request itself).
  it('a read (its GET) ends as ABORTED as soon as the run is interrupted', async () => {
    const { url, seen } = await silent()
    const b = backend(url)
    const abort = new AbortController()
    const pending = b
      .read('x' as RelPath, undefined, { expect: planned, signal: abort.signal })
      .catch((e: unknown) => e)
    await expect.poll(() => seen.filter((r) => r.method === 'GET' && !r.url.includes('list-type=2')).length).toBe(1)
    const stopped = Date.now()
    abort.abort()
    expect(await pending).toMatchObject({ code: 'ABORTED' })
    expect(Date.now() - stopped).toBeLessThan(5_000)
    await b.close()
  }, 30_000)

  // A read-only call takes no signal (the engine stops waiting for it): closing the backend must end
  // it, or the SDK takes the closed socket for a network error and sends it again, for minutes.
  it('closing the backend aborts a request in flight, which is not sent again', async () => {
    const { url, seen } = await silent()
    const b = backend(url)
    const pending = b.rootExists().catch((e: unknown) => e)
    await expect.poll(() => seen.length).toBe(1)
    const closed = Date.now()
    await b.close()
    expect(await pending).toMatchObject({ code: 'ABORTED' })
    expect(Date.now() - closed).toBeLessThan(5_000)
    expect(seen).toHaveLength(1)
  }, 30_000)
})
