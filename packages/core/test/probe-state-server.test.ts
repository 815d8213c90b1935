// A dry run asks the state server instead of opening the store (whose open makes PostgreSQL's
// table): `probeStateServer` must fail exactly as the open would, and create nothing. Real servers;
// a closed port stands for a server that is down.
import { randomUUID } from 'node:crypto'
import { createRequire } from 'node:module'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { openStateStore, probeStateServer } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { stateServerEnv } from './state-server-env.js'
import { freePort } from './state-servers-global-setup.js'

const redis = stateServerEnv('redis')
const postgres = stateServerEnv('postgres')

interface PgClient {
  connect(): Promise<void>
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>
  end(): Promise<void>
}
const pg = createRequire(import.meta.resolve('@keyv/postgres'))('pg') as { Client: new (url: string) => PgClient }

/** What an error says to the user: its code, message and hint. */
function said(e: unknown): { code: unknown; message: unknown; hint: unknown } {
  const { code, message, hint } = e as { code?: unknown; message?: unknown; hint?: unknown }
  return { code, message, hint }
}

async function openFailure(location: string) {
  return openStateStore(location, { jobId: `test-${randomUUID()}`, stateDir: tmpdir() }).then(async (store) => {
    await store.close()
    throw new Error(`${location} opened`)
  }, said)
}

async function probeFailure(location: string) {
  return probeStateServer(location).then(() => {
    throw new Error(`${location} answered`)
  }, said)
}

function withUser(url: string, user: string, password?: string): string {
  const u = new URL(url)
  u.username = user
  u.password = password ?? ''
  return u.toString()
}

describe('probeStateServer', () => {
  it('a Redis or PostgreSQL server that is down fails as the open does (TRANSIENT, the same words)', async () => {
    const port = await freePort()
    for (const location of [`redis://127.0.0.1:${port}`, `postgres://syncflow@127.0.0.1:${port}/postgres`]) {
      const probed = await probeFailure(location)
      expect(probed.code).toBe('TRANSIENT')
      expect(probed.message).toMatch(/^TRANSIENT: state\.open \(.*\): cannot reach the state store/)
      expect(probed).toEqual(await openFailure(location))
    }
  }, 30_000)

  it('a server that takes the connection and never answers fails as the open does, not waiting for ever', async () => {
    // Not Redis nor PostgreSQL (a firewall's proxy, a stalled server): the open gives up after its
    // connect timeout; the probe's PING was left waiting for ever (a dry run that never ended).
    const held: Socket[] = []
    const silent = createServer((socket) => held.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    try {
      for (const location of [`redis://127.0.0.1:${port}`, `postgres://syncflow@127.0.0.1:${port}/postgres`]) {
        const probed = await probeFailure(location)
        expect(probed.code).toBe('TRANSIENT')
        expect(probed).toEqual(await openFailure(location))
      }
    } finally {
      for (const socket of held) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  }, 60_000)

  it('a Redis location at a server that hangs up on its first words (PostgreSQL) fails as the open does', async () => {
    // Another kind of server on that port closes the connection at Redis's first command: the probe
    // said node-redis's "Socket closed unexpectedly" where the open said the server did not accept
    // the connection (note 34).
    const hangUp = createServer((socket) => {
      socket.on('error', () => {})
      socket.on('data', () => socket.destroy())
    })
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve))
    const { port } = hangUp.address() as AddressInfo
    try {
      const location = `redis://127.0.0.1:${port}`
      const probed = await probeFailure(location)
      expect(probed.code).toBe('TRANSIENT')
      expect(probed.message).toMatch(/did not accept a connection .*another kind of server on that port/)
      expect(probed).toEqual(await openFailure(location))
    } finally {
      await new Promise((resolve) => hangUp.close(resolve))
    }
  }, 30_000)

  it('a probe stopped while the server never answers fails ABORTED and drops its connection', async () => {
    // A Ctrl-C during a dry run's probe: the CLI gave up on it, but its connect held the process for
    // the rest of the connect timeout (bin.js's 3 s safety net ended it).
    const open = new Set<Socket>()
    const silent = createServer((socket) => {
      open.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => open.delete(socket))
      socket.resume()
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const { port } = silent.address() as AddressInfo
    try {
      for (const location of [`redis://127.0.0.1:${port}`, `postgres://syncflow@127.0.0.1:${port}/postgres`]) {
        const stop = new AbortController()
        const probing = probeStateServer(location, stop.signal).then(
          () => new Error(`${location} answered`),
          (e: unknown) => e as { code?: unknown; op?: unknown },
        )
        await expect.poll(() => open.size).toBe(1)
        stop.abort()
        expect(await probing).toMatchObject({ code: 'ABORTED', op: 'state.open' })
        // Dropped now, not at the connect timeout.
        await expect.poll(() => open.size, { timeout: 2000 }).toBe(0)
      }
    } finally {
      for (const socket of open) socket.destroy()
      await new Promise((resolve) => silent.close(resolve))
    }
  }, 30_000)

  it('asks nothing of a location on no server', async () => {
    await expect(probeStateServer('memory:')).resolves.toBeUndefined()
    await expect(probeStateServer(`${tmpdir()}/never-made-${randomUUID()}.sqlite`)).resolves.toBeUndefined()
  })

  describe.skipIf(!redis.available)(`Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`, () => {
    const url = redis.available ? redis.url : ''

    it('answers for a server that is up, and refuses a password as the open does (AUTH)', async () => {
      await expect(probeStateServer(url)).resolves.toBeUndefined()
      const wrong = withUser(url, '', 'never-s3cret')
      const probed = await probeFailure(wrong)
      expect(probed.code).toBe('AUTH')
      expect(probed).toEqual(await openFailure(wrong))
    }, 30_000)
  })

  describe.skipIf(!postgres.available)(
    `PostgreSQL${postgres.available ? '' : ` (skipped: ${postgres.reason})`}`,
    () => {
      const url = postgres.available ? postgres.url : ''

      it('answers for a server that is up, creating no table there', async () => {
        // A database of its own, so that no other test's table is in it.
        const db = `probe_${randomUUID().replaceAll('-', '')}`
        const admin = new pg.Client(url)
        await admin.connect()
        try {
          await admin.query(`CREATE DATABASE ${db}`)
          const there = new URL(url)
          there.pathname = `/${db}`
          await expect(probeStateServer(there.toString())).resolves.toBeUndefined()
          const client = new pg.Client(there.toString())
          await client.connect()
          try {
            const { rows } = await client.query("SELECT to_regclass('syncflow_state') AS t")
            expect(rows[0]?.t).toBeNull()
          } finally {
            await client.end()
          }
        } finally {
          await admin.query(`DROP DATABASE IF EXISTS ${db}`).catch(() => {})
          await admin.end()
        }
      }, 30_000)

      it('refuses an unknown user and a missing database as the open does', async () => {
        const missingDb = new URL(url)
        missingDb.pathname = '/no_such_db'
        for (const location of [withUser(url, 'no_such_user'), missingDb.toString()]) {
          const probed = await probeFailure(location)
          expect(probed.code).toMatch(/^(AUTH|USAGE)$/)
          expect(probed).toEqual(await openFailure(location))
        }
      }, 30_000)
    },
  )
})
