import type { RelPath } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { standInBackend, standInServer } from './stand-in-server.js'

/**
 * A server-side copy in flight when the run is interrupted is awaited (the service makes it
 * anyway), but not for ever: on a service that stopped answering, the SDK's tries × the I/O timeout
 * held a Ctrl-C for minutes, sending the copy again each time (review). A stand-in endpoint answers
 * the HEAD and never the copy.
 */
describe('an interrupted server-side copy on a silent service', () => {
  it('is cut once its grace is over, and not sent again', async () => {
    const { url, seen } = await standInServer((req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': '5', etag: '"abc"', 'last-modified': new Date().toUTCString() })
        res.end()
      } else if (req.method !== 'PUT') {
        res.writeHead(404)
        res.end()
      } // a PUT (the copy) is never answered
    })
    const copies = () => seen.filter((r) => r.method === 'PUT').length
    const b = standInBackend(url, {
      maxAttempts: 3,
      abortStaleUploadsAfterMs: false,
      ioTimeoutMs: 20_000, // three tries would hold the stop a minute
      copyGraceMs: 300,
    })
    const abort = new AbortController()
    const copying = b.copy('x' as RelPath, 'y' as RelPath, { signal: abort.signal }).catch((e: unknown) => e)
    // (Waited for as long as a loaded machine needs to send it: the HEAD and the connection come first.)
    await expect.poll(copies, { timeout: 10_000 }).toBe(1)
    const stopped = Date.now()
    abort.abort()
    expect(await copying).toMatchObject({ code: 'ABORTED' })
    expect(Date.now() - stopped).toBeLessThan(5_000)
    expect(copies()).toBe(1)
  }, 30_000)
})
