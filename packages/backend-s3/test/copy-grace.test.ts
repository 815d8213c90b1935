import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RelPath } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createS3Backend } from '../src/index.js'

/**
 * A server-side copy in flight when the run is interrupted is awaited (the service makes it
 * anyway), but not for ever: on a service that stopped answering, the SDK's tries × the I/O timeout
 * held a Ctrl-C for minutes, sending the copy again each time (review). A stand-in endpoint answers
 * the HEAD and never the copy.
 */
describe('an interrupted server-side copy on a silent service', () => {
  let server: Server
  let endpoint: string
  let copies = 0
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume()
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-length': '5', etag: '"abc"', 'last-modified': new Date().toUTCString() })
        res.end()
        return
      }
      if (req.method === 'PUT') {
        copies++
        return // never answered
      }
      res.writeHead(404)
      res.end()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('is cut once its grace is over, and not sent again', async () => {
    const b = createS3Backend({
      bucket: 'bucket',
      prefix: 'p',
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      serviceMemory: false,
      abortStaleUploadsAfterMs: false,
      ioTimeoutMs: 20_000, // three tries would hold the stop a minute
      copyGraceMs: 300,
    })
    const abort = new AbortController()
    const copying = b.copy('x' as RelPath, 'y' as RelPath, { signal: abort.signal }).catch((e: unknown) => e)
    await expect.poll(() => copies).toBe(1)
    const stopped = Date.now()
    abort.abort()
    expect(await copying).toMatchObject({ code: 'ABORTED' })
    expect(Date.now() - stopped).toBeLessThan(5_000)
    expect(copies).toBe(1)
    await b.close()
  }, 30_000)
})
