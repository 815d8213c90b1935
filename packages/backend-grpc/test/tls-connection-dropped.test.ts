import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { selfSignedCert, startTestServer } from './helpers.js'

// QA 30a #2: a grpcs:// connection the server closed before the TLS handshake (it had all the
// connections it takes, or it was stopping) was read as an untrusted certificate: AUTH, so not
// retried (a run or a watch ended at once, exit 2), with the hint to pass the CA with --ca-file.
// The same over grpc:// is TRANSIENT, "cannot connect".

let tmp: string
let srv: Awaited<ReturnType<typeof startTestServer>>
const sockets: Socket[] = []

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'grpc-tls-dropped-'))
  selfSignedCert(tmp, 'key.pem', 'cert.pem')
  srv = await startTestServer({
    tlsCert: await readFile(join(tmp, 'cert.pem')),
    tlsKey: await readFile(join(tmp, 'key.pem')),
    token: 't',
    // One connection at once, and silent ones kept long enough for the test.
    connectionLimits: { maxConnections: 1, prefaceMs: 60_000 },
  })
})

afterAll(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  await srv?.stop()
  await rm(tmp, { recursive: true, force: true })
})

describe('a grpcs:// connection closed by the server before TLS', () => {
  it('is TRANSIENT, "cannot connect", not an untrusted certificate', async () => {
    // The one connection the server takes, held by a client that says nothing.
    const held = connect(srv.server.port, '127.0.0.1')
    held.on('error', () => {})
    sockets.push(held)
    await new Promise<void>((resolve) => held.once('connect', () => resolve()))
    await expect.poll(() => srv.server.connections(), { timeout: 5000 }).toBe(1)

    const err = (await createGrpcBackend({
      uri: `grpcs://127.0.0.1:${srv.server.port}/`,
      caFile: join(tmp, 'cert.pem'),
      token: 't',
      connectTimeoutMs: 5000,
    }).then(
      () => new Error('connected'),
      (e: unknown) => e,
    )) as { code?: string; message: string; hint?: string }
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toMatch(
      /cannot connect to 127\.0\.0\.1:\d+ \(the server closed the connection before TLS began/,
    )
    expect(err.hint ?? '').not.toMatch(/--ca-file|not trusted/)
  })
})
