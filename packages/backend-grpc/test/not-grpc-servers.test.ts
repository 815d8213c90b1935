import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer as createHttp1Server, type Server as Http1Server, type OutgoingHttpHeaders } from 'node:http'
import { createServer as createHttp2Server, type Http2Server } from 'node:http2'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { notGrpcIn } from '../src/to-sync-error.js'
import { selfSignedCert } from './helpers.js'

// QA 8 #8: what a user saw when a grpc:// or grpcs:// location points at a server that is not
// `syncflow serve`: grpc-js's own texts ("Received message larger than max (1748057704 vs
// 16777216)", "Last error: Protocol error"), a hint about TLS, or AUTH "certificate not trusted".

type Listening = Http1Server | Http2Server
let status = 200
const page = (_req: unknown, res: { writeHead(s: number, h: OutgoingHttpHeaders): void; end(b: string): void }) => {
  res.writeHead(status, { 'content-type': 'text/html' })
  res.end('<html><body><h1>Welcome</h1></body></html>')
}

let tmp: string
let ca: string
const servers: Listening[] = []
let h2: number
let h1: number
let https1: number

async function listen(server: Listening): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'grpc-not-grpc-'))
  // A self-signed certificate for 127.0.0.1, its own CA (--ca-file), so the handshake's only
  // problem is the missing HTTP/2.
  selfSignedCert(tmp, 'key.pem', 'cert.pem')
  ca = join(tmp, 'cert.pem')
  const tls = { key: await readFile(join(tmp, 'key.pem')), cert: await readFile(ca) }
  h2 = await listen(createHttp2Server(page))
  h1 = await listen(createHttp1Server(page))
  // An HTTPS server offers only http/1.1 in ALPN.
  https1 = await listen(createHttpsServer(tls, page))
})

afterAll(async () => {
  for (const s of servers) {
    if ('closeAllConnections' in s) s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
  await rm(tmp, { recursive: true, force: true })
})

const open = (uri: string, caFile?: string) =>
  createGrpcBackend({ uri, connectTimeoutMs: 5000, timeoutMs: 5000, ...(caFile ? { caFile } : {}) }).then(
    async (b) => {
      await b.close()
      throw new Error('connected')
    },
    (e: unknown) => e as { code: string; message: string; hint?: string },
  )

describe('a grpc:// location where something other than syncflow serve answers', () => {
  it.each([503, 429])(
    'HTTP/2 answering %i: TRANSIENT, saying an HTTP server answered it (busy, or not syncflow), no TLS hint',
    async (code) => {
      status = code
      const err = await open(`grpc://127.0.0.1:${h2}/x`)
      expect(err.code).toBe('TRANSIENT')
      expect(err.message).toContain(
        `what answers at 127.0.0.1:${h2} is an HTTP server that answered with HTTP status ${code} (busy, or not a syncflow server)`,
      )
      expect(err.message).not.toContain('Received HTTP status code')
      expect(err.hint).toContain('syncflow serve --listen')
      expect(err.hint).not.toMatch(/tls|grpcs/i)
    },
  )

  it('HTTP/2 answering 200 with an HTML page: USAGE, not a syncflow server (not gRPC), no grpc-js text', async () => {
    status = 200
    const err = await open(`grpc://127.0.0.1:${h2}/x`)
    expect(err.code).toBe('USAGE')
    expect(err.message).toContain(`what answers at 127.0.0.1:${h2} is not a syncflow server: its answer is not gRPC`)
    expect(err.message).toContain('text/html')
    expect(err.message).not.toMatch(/larger than max/)
    expect(err.hint).toContain('syncflow serve --listen')
  })

  it.each([404, 200])(
    'an HTTP/1.1 server answering %i: USAGE, it answers but not in HTTP/2, naming the address',
    async (code) => {
      status = code
      const err = await open(`grpc://127.0.0.1:${h1}/x`)
      expect(err.code).toBe('USAGE')
      expect(err.message).toContain(`what answers at 127.0.0.1:${h1} is not a syncflow server`)
      expect(err.message).toContain('HTTP/1.1')
      expect(err.message).not.toMatch(/Protocol error|No connection established/)
      expect(err.hint).toContain('syncflow serve --listen')
      expect(err.hint).not.toMatch(/tls/i)
    },
  )

  it('an HTTPS server without HTTP/2, via grpcs:// with its CA: USAGE, no HTTP/2 offered, not "certificate not trusted"', async () => {
    status = 200
    const err = await open(`grpcs://127.0.0.1:${https1}/x`, ca)
    expect(err.code).toBe('USAGE')
    expect(err.message).toContain(`what answers at 127.0.0.1:${https1} is not a syncflow server`)
    expect(err.message).toContain('does not offer HTTP/2')
    expect(err.message).not.toMatch(/SSL|alert/)
    expect(err.hint).not.toMatch(/certificate|--ca-file/)
  })
})

describe('an HTTPS server without HTTP/2 via grpc://', () => {
  it('is seen to speak TLS: "use grpcs://", not a bare "Failed to connect"', async () => {
    const err = await open(`grpc://127.0.0.1:${https1}/x`)
    expect(err.code).toBe('USAGE')
    expect(err.message).toContain('the server speaks TLS: use grpcs:// instead of grpc://')
  })
})

describe('notGrpcIn: the texts of grpc-js 1.14 and OpenSSL it relies on', () => {
  it.each([
    ['Received HTTP status code 503', { kind: 'http-status', status: 503 }],
    ['No connection established. Last error: Protocol error (2026-12-04T00:44:40.476Z).', { kind: 'not-http2' }],
    [
      'No connection established. Last error: Error: 807C1044407F0000:error:0A000460:SSL routines:ssl3_read_bytes:tlsv1 alert no application protocol:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 120',
      { kind: 'no-h2-alpn' },
    ],
    ['Received message larger than max (1748057704 vs 16777216)', { kind: 'oversized' }],
  ])('%s', (details, expected) => {
    expect(notGrpcIn(details)).toEqual(expected)
  })

  it('anything else is not a sign of a non-gRPC server', () => {
    for (const details of [
      'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1',
      'No connection established. Last error: Failed to connect (2026-12-04T00:44:40.476Z).',
      'self-signed certificate in certificate chain',
      'Deadline exceeded',
    ]) {
      expect(notGrpcIn(details)).toBeUndefined()
    }
  })
})
