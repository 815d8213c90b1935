import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach } from 'vitest'
import { createS3Backend, type S3Backend, type S3BackendOptions } from '../src/index.js'

/** One request as the stand-in saw it, its body read whole. */
export interface SeenRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

const EMPTY_UPLOADS = '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult></ListMultipartUploadsResult>'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/**
 * A plain HTTP server on 127.0.0.1 standing in for S3 where radosgw cannot play the part (to see
 * what goes on the wire, or to play a key with fewer rights): it records every request, answers
 * the clean-up's ListMultipartUploads with an empty list, and every other one with `answer`.
 * Closed after the test.
 */
export async function standInServer(
  answer: (req: SeenRequest, res: ServerResponse) => void,
): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }
      seen.push(r)
      if (r.method === 'GET' && r.url.includes('uploads')) {
        res.setHeader('Content-Type', 'application/xml')
        res.end(EMPTY_UPLOADS)
      } else answer(r, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(
    () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        // A request the stand-in never answers (a silent service) would hold the close for ever.
        server.closeAllConnections()
      }),
  )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

/** An S3 backend on a stand-in (bucket `bkt`, prefix `p`, no retries, nothing learnt to disk unless told), closed after the test. */
export function standInBackend(url: string, options: Partial<S3BackendOptions> = {}): S3Backend {
  const b = createS3Backend({
    bucket: 'bkt',
    prefix: 'p',
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    serviceMemory: false,
    maxAttempts: 1,
    ...options,
  })
  closers.push(() => b.close())
  return b
}
