import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RelPath } from '@syncflow/core'
import { afterEach, expect, it } from 'vitest'
import { createS3Backend } from '../src/index.js'

// A key that may write but not delete (an "append-only" backup key), played by a plain HTTP server:
// radosgw needs a second user and a bucket policy for it. Every DELETE is refused with 403.
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

async function appendOnlyServer(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((req: IncomingMessage, res) => {
    req.resume()
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`)
      if (req.method === 'DELETE') {
        res.statusCode = 403
        res.setHeader('Content-Type', 'application/xml')
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied</Message></Error>',
        )
        return
      }
      res.setHeader('ETag', '"0123456789abcdef0123456789abcdef"')
      if (req.url?.includes('uploads')) {
        res.setHeader('Content-Type', 'application/xml')
        res.end('<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult></ListMultipartUploadsResult>')
        return
      }
      // A HEAD of the planned object: 5 bytes, the planned ETag.
      if (req.method === 'HEAD') res.setHeader('Content-Length', '5')
      res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => new Promise((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

it('a probe object that cannot be deleted is left once, not once per run (QA 16 F7)', async () => {
  const { url, seen } = await appendOnlyServer()
  const dir = await mkdtemp(join(tmpdir(), 'syncflow-probe-left-'))
  closers.push(() => rm(dir, { recursive: true, force: true }))
  const runOnce = async (): Promise<void> => {
    const b = createS3Backend({
      bucket: 'bkt',
      prefix: 'p',
      endpoint: url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      serviceMemory: join(dir, 's3-services.json'),
      maxAttempts: 1,
    })
    const planned = {
      path: 'gone' as RelPath,
      kind: 'file' as const,
      size: 5,
      mtimeMs: 0,
      version: '0123456789abcdef0123456789abcdef',
    }
    await expect(b.remove('gone' as RelPath, { expect: planned })).rejects.toMatchObject({ code: 'AUTH' })
    await b.close()
  }
  const probes = () => seen.filter((r) => r.startsWith('PUT /bkt/p/.syncflow-probe-')).length
  await runOnce()
  expect(probes()).toBe(1)
  await runOnce()
  await runOnce()
  expect(probes()).toBe(1)
})
