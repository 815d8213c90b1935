import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startTestServer } from './helpers.js'

// QA 31g #1: a grpc:// client refused because the server had all the connections it takes (an
// eighth of its ulimit -n) was told "cannot connect to H:P. Check that `syncflow serve` is running
// at H:P": the server was running, and answering every other client. The same over grpcs:// says
// the server closed the connection (QA 30a #2).

let srv: Awaited<ReturnType<typeof startTestServer>>
const sockets: Socket[] = []

beforeAll(async () => {
  // One connection at once, and silent ones kept long enough for the test.
  srv = await startTestServer({ connectionLimits: { maxConnections: 1, prefaceMs: 60_000 } })
})

afterAll(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await srv?.stop()
})

describe('a grpc:// client refused at the connection limit', () => {
  it('is told the server closed the connection (it may have all it takes), not to check it is running', async () => {
    // The one connection the server takes, held by a client that says nothing.
    const held = connect(srv.server.port, '127.0.0.1')
    held.on('error', () => {})
    sockets.push(held)
    await new Promise<void>((resolve) => held.once('connect', () => resolve()))
    await expect.poll(() => srv.server.connections(), { timeout: 5000 }).toBe(1)

    const err = (await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/`, connectTimeoutMs: 5000 }).then(
      () => new Error('connected'),
      (e: unknown) => e,
    )) as { code?: string; message: string; hint?: string }
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toMatch(
      /cannot connect to 127\.0\.0\.1:\d+ \(the server closed the connection at once: it may have all the connections it takes/,
    )
    expect(err.hint ?? '').not.toMatch(/is running/)
    expect(err.hint ?? '').toMatch(/ulimit -n/)
  })

  it('a server that is not running is still "connection refused"', async () => {
    const stopped = await startTestServer({})
    const port = stopped.server.port
    await stopped.stop()
    const err = (await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, connectTimeoutMs: 5000 }).then(
      () => new Error('connected'),
      (e: unknown) => e,
    )) as { code?: string; message: string; hint?: string }
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toMatch(/connection refused/)
    expect(err.hint ?? '').toMatch(/is running/)
  })
})
