import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Requests seen by a counting proxy, by S3 operation (`LIST`, `HEAD`, `GET`, `PUT`, `COPY`, …). */
export type RequestCounts = Record<string, number>

/** An HTTP reverse proxy on 127.0.0.1 in front of a real S3 endpoint, counting requests by type. */
export interface CountingProxy {
  readonly url: string
  readonly counts: RequestCounts
  /** Total requests, or of the given operations. */
  total(...ops: string[]): number
  /** Every request in order: `OP` when it arrives, `OP done` when its answer has been sent. */
  readonly log: string[]
  /**
   * Holds requests of `op` until `count` of them are waiting, then lets them all through (and
   * stops holding): proves that many are in flight at once, without timing. Resolves then.
   */
  hold(op: string, count: number): Promise<void>
  reset(): void
  close(): Promise<void>
}

/** The S3 operation of a path-style request. */
export function classify(method: string, url: string, headers: Record<string, unknown>): string {
  const u = new URL(url, 'http://x')
  const q = u.searchParams
  const isBucket = u.pathname.split('/').filter(Boolean).length <= 1
  if (isBucket) {
    if (method === 'GET' && q.has('uploads')) return 'LIST_UPLOADS'
    if (method === 'GET' && q.has('location')) return 'GET_BUCKET_LOCATION'
    if (method === 'GET') return 'LIST'
    if (method === 'HEAD') return 'HEAD_BUCKET'
    if (method === 'POST' && q.has('delete')) return 'DELETE_MULTI'
    return `${method}_BUCKET`
  }
  if (method === 'PUT' && headers['x-amz-copy-source']) return q.has('partNumber') ? 'COPY_PART' : 'COPY'
  if (method === 'PUT' && q.has('partNumber')) return 'PUT_PART'
  if (method === 'POST' && q.has('uploads')) return 'CREATE_MULTIPART'
  if (method === 'POST' && q.has('uploadId')) return 'COMPLETE_MULTIPART'
  if (method === 'DELETE' && q.has('uploadId')) return 'ABORT_MULTIPART'
  return method
}

/** Options of `startCountingProxy`. */
export interface CountingProxyOptions {
  /**
   * Makes the proxy play a service that honours `If-Match` on DeleteObject as AWS does (since
   * September 2025; radosgw 16 ignores it): given a request's path (`/bucket/key`, URL-encoded),
   * the object's current ETag, quoted, or undefined when there is none. A DELETE whose If-Match is
   * neither that nor `*` is answered 412, one of a missing object 404 NoSuchKey, without reaching
   * the server. (A fault case on top of the real server: the check and the delete are not atomic.)
   */
  readonly deleteIfMatch?: (path: string) => Promise<string | undefined>
  /**
   * A fault case: given a request's operation and URL, an answer the proxy gives itself instead of
   * forwarding the request (a proxy's error page…), or undefined to forward it.
   */
  readonly answer?: (
    op: string,
    url: string,
  ) => { status: number; contentType: string; body: string; headers?: Record<string, string> } | undefined
}

/** Starts the proxy on a free port; `target` is the real endpoint (`http://127.0.0.1:PORT`). */
export async function startCountingProxy(target: string, options: CountingProxyOptions = {}): Promise<CountingProxy> {
  const t = new URL(target)
  const agent = new Agent({ keepAlive: true, maxSockets: 128 })
  const counts: RequestCounts = {}
  const log: string[] = []
  let held: { op: string; count: number; waiting: (() => void)[]; done: () => void } | undefined
  const server = createServer((req, res) => {
    const op = classify(req.method ?? 'GET', req.url ?? '/', req.headers)
    counts[op] = (counts[op] ?? 0) + 1
    log.push(op)
    res.on('finish', () => log.push(`${op} done`))
    // Headers (Host included) go through unchanged: they are covered by the SigV4 signature.
    const forward = (): void => {
      const up = request(
        { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers)
          upRes.pipe(res)
        },
      )
      up.on('error', () => res.destroy())
      req.pipe(up)
    }
    const own = options.answer?.(op, req.url ?? '/')
    if (own !== undefined) {
      req.resume()
      res.writeHead(own.status, { ...own.headers, 'content-type': own.contentType })
      res.end(own.body)
      return
    }
    const ifMatch = req.headers['if-match']
    if (op === 'DELETE' && typeof ifMatch === 'string' && options.deleteIfMatch) {
      void options.deleteIfMatch(req.url ?? '/').then(
        (etag) => {
          if (etag !== undefined && (ifMatch === '*' || ifMatch === etag)) return forward()
          const [status, code] = etag === undefined ? [404, 'NoSuchKey'] : [412, 'PreconditionFailed']
          req.resume()
          res.writeHead(status, { 'content-type': 'application/xml' })
          res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`)
        },
        () => res.destroy(),
      )
      return
    }
    if (held?.op !== op) return forward()
    const gate = held
    gate.waiting.push(forward)
    if (gate.waiting.length >= gate.count) {
      held = undefined
      for (const go of gate.waiting) go()
      gate.done()
    }
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    total: (...ops) =>
      Object.entries(counts).reduce((n, [k, v]) => (ops.length === 0 || ops.includes(k) ? n + v : n), 0),
    log,
    hold: (op, count) =>
      new Promise<void>((done) => {
        held = { op, count, waiting: [], done }
      }),
    reset: () => {
      for (const k of Object.keys(counts)) delete counts[k]
      log.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
        agent.destroy()
      }),
  }
}
