import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer as createTcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer as createTlsServer } from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import { plainRedisAnswer } from '../src/state/plain-redis-answer.js'
import { selfSignedCert } from './self-signed-cert.js'
import { stateServerEnv } from './state-server-env.js'

// `rediss://` at a plain Redis is refused at once, before node-redis's TLS handshake, which such a
// server never answers (it waited the whole connect timeout): the probe must tell a plain Redis from
// a TLS server, which it must never refuse.

const redis = stateServerEnv('redis')
const dir = mkdtempSync(join(tmpdir(), 'plain-redis-answer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('plainRedisAnswer', () => {
  it.skipIf(!redis.available)(
    `a plain Redis answers its PING: plain${redis.available ? '' : ' (skipped: no Redis)'}`,
    async () => {
      const url = new URL(redis.available ? redis.url : 'redis://127.0.0.1')
      url.protocol = 'rediss:'
      expect(await plainRedisAnswer(url.toString(), 5000)).toBe('plain')
    },
  )

  it('a TLS server (a real handshake endpoint) is not taken for a plain Redis', async () => {
    const server = createTlsServer(selfSignedCert(dir))
    server.on('tlsClientError', () => {})
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const { port } = server.address() as AddressInfo
      expect(await plainRedisAnswer(`rediss://127.0.0.1:${port}`, 5000)).toBe('other')
    } finally {
      server.close()
    }
  })

  // Given the whole connect timeout (a minute here, beyond this test's own 10 s), a server that
  // takes the connection and says nothing held every rediss:// open that long.
  it('a server that takes the connection and never answers is left to the open, without waiting out the timeout', async () => {
    const silent = createTcpServer(() => {}).listen(0, '127.0.0.1')
    await once(silent, 'listening')
    try {
      const { port } = silent.address() as AddressInfo
      expect(await plainRedisAnswer(`rediss://127.0.0.1:${port}`, 60_000)).toBe('other')
    } finally {
      silent.close()
    }
  }, 10_000)

  it('a refused connection is left to the open to say', async () => {
    const probe = createTcpServer().listen(0, '127.0.0.1')
    await once(probe, 'listening')
    const { port } = probe.address() as AddressInfo
    await new Promise((resolve) => probe.close(resolve))
    expect(await plainRedisAnswer(`rediss://127.0.0.1:${port}`, 5000)).toBe('other')
  })
})
