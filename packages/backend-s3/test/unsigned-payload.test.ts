import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { RelPath } from '@syncflow/core'
import { expect, it } from 'vitest'
import { standInBackend, standInServer } from './stand-in-server.js'

// What goes on the wire, seen by a plain HTTP server standing in for S3 (the real server takes
// these requests in every other test: the suite runs against radosgw).
const recordingServer = () =>
  standInServer((req, res) => {
    res.setHeader('ETag', `"${createHash('md5').update(req.body).digest('hex')}"`)
    res.end()
  })

it('signs a PUT that carries Content-MD5 as UNSIGNED-PAYLOAD over http (no SHA-256 of the body on either end)', async () => {
  const { url, seen } = await recordingServer()
  const b = standInBackend(url)
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
