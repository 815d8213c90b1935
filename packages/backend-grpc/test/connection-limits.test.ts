import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { toRelPath } from '@syncflow/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { selfSignedCert, startTestServer } from './helpers.js'

// One client, even without the token, could open TCP connections that never send (or never read)
// anything, each kept for ever: 3,000 held 3,000 descriptors of `syncflow serve`, whose file
// operations then failed with EMFILE for every client. Connections are now capped, cut when they
// send no HTTP/2 preface in time, and closed once idle.

const sockets: Socket[] = []
const servers: Array<Awaited<ReturnType<typeof startTestServer>>> = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const s of servers.splice(0)) await s.stop()
})

/** A TCP connection that sends nothing and never reads what it is sent. */
function silentConnection(port: number): Socket {
  const s = connect(port, '127.0.0.1')
  s.on('error', () => {})
  s.pause()
  sockets.push(s)
  return s
}

describe('connections to syncflow serve', () => {
  it('are capped, and one that never sends its preface (nor reads) is cut', async () => {
    const refused: number[] = []
    const srv = await startTestServer({
      connectionLimits: { maxConnections: 4, prefaceMs: 1500, onRefused: (max) => refused.push(max) },
    })
    servers.push(srv)
    for (let i = 0; i < 12; i++) silentConnection(srv.server.port)
    await expect.poll(() => refused, { timeout: 5000 }).toEqual([4])
    expect(await srv.server.connections()).toBeLessThanOrEqual(4)
    await expect.poll(() => srv.server.connections(), { timeout: 10_000 }).toBe(0)
    // A real client still gets in once they are gone.
    const backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/x` })
    expect(await backend.rootExists()).toBe(false)
    await backend.close()
  })

  it('is closed once idle, and the client connects again for its next call', async () => {
    const srv = await startTestServer({ connectionLimits: { idleMs: 300, closeGraceMs: 300 } })
    servers.push(srv)
    const backend = await createGrpcBackend({ uri: `grpc://127.0.0.1:${srv.server.port}/x` })
    try {
      expect(await backend.stat(toRelPath('a'))).toBeUndefined()
      expect(await srv.server.connections()).toBe(1)
      await expect.poll(() => srv.server.connections(), { timeout: 10_000 }).toBe(0)
      expect(await backend.stat(toRelPath('a'))).toBeUndefined()
    } finally {
      await backend.close()
    }
  })
})

describe('connections to syncflow serve with TLS', () => {
  // QA 30a #3: the preface timer began with the HTTP/2 session, which over TLS begins only after the
  // handshake: a connection that never began TLS was kept for Node's 2 minutes.
  it('one that never begins its TLS handshake is cut within the preface time; a real client is not', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'grpc-limits-tls-'))
    try {
      selfSignedCert(tmp, 'key.pem', 'cert.pem')
      const srv = await startTestServer({
        tlsCert: await readFile(join(tmp, 'cert.pem')),
        tlsKey: await readFile(join(tmp, 'key.pem')),
        connectionLimits: { maxConnections: 8, prefaceMs: 1500 },
      })
      servers.push(srv)
      for (let i = 0; i < 4; i++) silentConnection(srv.server.port)
      await expect.poll(() => srv.server.connections(), { timeout: 5000 }).toBe(4)
      await expect.poll(() => srv.server.connections(), { timeout: 10_000 }).toBe(0)
      // A client that did its handshake keeps its connection past the preface time.
      const backend = await createGrpcBackend({
        uri: `grpcs://127.0.0.1:${srv.server.port}/x`,
        caFile: join(tmp, 'cert.pem'),
      })
      try {
        expect(await backend.stat(toRelPath('a'))).toBeUndefined()
        const cutAfter = Date.now() + 2500
        await expect.poll(() => Date.now() > cutAfter, { timeout: 5000, interval: 250 }).toBe(true)
        expect(await srv.server.connections()).toBe(1)
        expect(await backend.stat(toRelPath('a'))).toBeUndefined()
      } finally {
        await backend.close()
      }
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  })
})
