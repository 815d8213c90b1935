import { createServer, type Http2Server } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { grpcBackend } from '../src/index.js'

// QA 7 #12: an HTTP/2 server that is not gRPC (a web server, an intercepting proxy) answered 404,
// which grpc-js maps to UNIMPLEMENTED, and the user was told to upgrade syncflow on "the server".

let server: Http2Server
let port: number
let status = 404

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html' })
    res.end('<h1>not here</h1>')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('a grpc:// location where an HTTP server answers', () => {
  it('is a usage error saying it is not a syncflow server, naming the address and the status', async () => {
    status = 404
    const opened = grpcBackend.open(`grpc://127.0.0.1:${port}/x`, {}).then(async (b) => {
      try {
        return await b.rootExists()
      } finally {
        await b.close()
      }
    })
    const err = await opened.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining(
        `what answers at 127.0.0.1:${port} is not a syncflow server: it answered with HTTP status 404`,
      ),
      hint: expect.stringContaining('syncflow serve --listen'),
    })
    expect(String((err as Error).message)).not.toMatch(/upgrade/i)
  })

  it("a gateway's 503 stays a passing failure (TRANSIENT)", async () => {
    status = 503
    const err = await grpcBackend
      .open(`grpc://127.0.0.1:${port}/x`, { timeoutMs: 2000 })
      .then(async (b) => {
        try {
          return await b.rootExists()
        } finally {
          await b.close()
        }
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(err).toMatchObject({ code: 'TRANSIENT' })
  })
})
