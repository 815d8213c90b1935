import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { afterEach, expect, it } from 'vitest'
import { createS3Backend } from '../src/index.js'

// What goes on the wire, seen by a plain HTTP server standing in for S3 (the real server takes
// these requests in every other test: the suite runs against radosgw).
interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function recordingServer(): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      res.setHeader('ETag', `"${createHash('md5').update(Buffer.concat(chunks)).digest('hex')}"`)
      // An empty ListMultipartUploads for the run's clean-up; an empty 200 for the rest.
      if (req.url?.includes('uploads')) {
        res.setHeader('Content-Type', 'application/xml')
        res.end('<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult></ListMultipartUploadsResult>')
      } else res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

it('signs a PUT that carries Content-MD5 as UNSIGNED-PAYLOAD over http (no SHA-256 of the body on either end)', async () => {
  const { url, seen } = await recordingServer()
  const b = createS3Backend({
    bucket: 'bkt',
    prefix: 'p',
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    serviceMemory: false,
    maxAttempts: 1,
  })
  closers.push(() => b.close())
  const body = Buffer.from('hello, unsigned')
  await b.write('k' as RelPath, Readable.from([body]), { mtimeMs: 1_700_000_000_000, size: body.length })
  const put = seen.find((s) => s.method === 'PUT')
  expect(put?.headers['content-md5']).toBe(createHash('md5').update(body).digest('base64'))
  expect(put?.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD')
  expect(put?.body).toEqual(body)
  // A request without an MD5 the service checks keeps the hash in its signature.
  const other = seen.filter((s) => s.method !== 'PUT')
  expect(other.length).toBeGreaterThan(0)
  for (const s of other) expect(s.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/)
})
