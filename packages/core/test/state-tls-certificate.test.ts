// A postgres:// --state at a server whose TLS certificate does not pass pg's checks (self-signed
// here) was "internal error … a bug in syncflow" (UNKNOWN): it is the user's setting to fix, said so,
// and the check is kept for every sslmode that asks for TLS (require is taken as verify-full, as pg
// takes it, without its warning). The server is PostgreSQL's TLS front only (its answer to the
// SSLRequest, then a real Node TLS handshake with an openssl certificate): the checks fail there.
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TLSSocket } from 'node:tls'
import { openStateStore, probeStateServer } from '@syncflow/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedCert } from './self-signed-cert.js'

let dir: string
let server: ReturnType<typeof createServer>
let port: number
const sockets = new Set<Socket>()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syncflow-pg-tls-'))
  const tls = selfSignedCert(dir)
  server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    // PostgreSQL's SSLRequest is 8 bytes; 'S' says yes, and the TLS handshake follows on the socket.
    socket.once('data', () => {
      socket.write('S', () => {
        const secure = new TLSSocket(socket, { isServer: true, ...tls })
        secure.on('error', () => {})
      })
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  port = (server.address() as AddressInfo).port
})

afterAll(() => {
  for (const s of sockets) s.destroy()
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('a postgres:// state server whose TLS certificate is self-signed', () => {
  it.each(['require', 'prefer', 'verify-ca', 'verify-full'])(
    "sslmode=%s: refused as a setting to fix (USAGE), by the open and by the dry run's probe alike",
    async (mode) => {
      const location = `postgres://syncflow@127.0.0.1:${port}/postgres?sslmode=${mode}`
      const opened = await openStateStore(location, { jobId: 'tls-cert-test', stateDir: dir }).then(
        async (store) => {
          await store.close()
          throw new Error(`${location} opened: the certificate was not checked`)
        },
        (e: unknown) => e as { code: string; message: string; hint: string },
      )
      expect(opened.code).toBe('USAGE')
      expect(opened.message).toContain(
        `state.open (${location}): the state server's TLS certificate is not accepted: self-signed certificate`,
      )
      expect(opened.hint).toMatch(/sslrootcert=/)
      const probed = await probeStateServer(location).then(
        () => {
          throw new Error(`${location} answered: the certificate was not checked`)
        },
        (e: unknown) => e as { code: string; message: string; hint: string },
      )
      expect({ code: probed.code, message: probed.message, hint: probed.hint }).toEqual({
        code: opened.code,
        message: opened.message,
        hint: opened.hint,
      })
    },
    30_000,
  )
})
