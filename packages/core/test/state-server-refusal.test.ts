// A state server (Redis, PostgreSQL) that refuses the user, or lacks the database the URL names, is a
// setting to fix, said so (QA 29c): it was "internal error … a bug in syncflow" (UNKNOWN), or, for a
// wrong Redis password, "the Redis server did not accept a connection (not running…?)".
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { createKeyv } from '@keyv/redis'
import { openStateStore, type StateStore } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { stateServerEnv } from './state-server-env.js'
import { freePort } from './state-servers-global-setup.js'

const redis = stateServerEnv('redis')
const postgres = stateServerEnv('postgres')

async function openError(location: string): Promise<{ code: string; message: string; hint: string }> {
  const err = await openStateStore(location, { jobId: `test-${randomUUID()}`, stateDir: tmpdir() }).then(
    async (store) => {
      await store.close()
      throw new Error(`${location} opened`)
    },
    (e: unknown) => e,
  )
  return err as { code: string; message: string; hint: string }
}

/** What `openStateStore(location)` plus taking the job's lock fails with (a replica refuses the lock's write). */
async function openAndLockError(location: string): Promise<{ code: string; message: string; hint: string }> {
  let store: StateStore
  try {
    store = await openStateStore(location, { jobId: `test-${randomUUID()}`, stateDir: tmpdir() })
  } catch (e) {
    return e as { code: string; message: string; hint: string }
  }
  try {
    await store.lockJob?.()
  } catch (e) {
    return e as { code: string; message: string; hint: string }
  } finally {
    await store.close()
  }
  throw new Error(`${location} opened and locked`)
}

/**
 * A Redis replica of the primary said to be at `primaryPort`, on a free port, once it says it is
 * ready (its own log: not whatever answers on that port). Redis cannot listen on a port the OS
 * picks (`--port 0` turns TCP off), and another process may take the one picked before Redis binds
 * it: then it is tried again on another.
 */
async function startReplica(primaryPort: number): Promise<{ replica: ChildProcess; port: number }> {
  for (let tries = 1; ; tries++) {
    const port = await freePort()
    const replica = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'].concat([
        '--replicaof',
        '127.0.0.1',
        String(primaryPort),
      ]),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let log = ''
    const ready = await new Promise<boolean>((resolve) => {
      for (const out of [replica.stdout, replica.stderr]) {
        out.setEncoding('utf8').on('data', (s: string) => {
          log += s
          if (/Ready to accept connections/.test(log)) resolve(true)
        })
      }
      replica.on('close', () => resolve(false))
    })
    if (ready) return { replica, port }
    if (!/Address already in use/.test(log) || tries === 5) throw new Error(`redis-server did not start:\n${log}`)
  }
}

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** `url` with the user and password given. */
function withUser(url: string, user: string, password?: string): string {
  const u = new URL(url)
  u.username = user
  u.password = password ?? ''
  return u.toString()
}

describe.skipIf(!redis.available)(`Redis${redis.available ? '' : ` (skipped: ${redis.reason})`}`, () => {
  it('a wrong password is AUTH, with the server’s WRONGPASS and without the password', async () => {
    const url = redis.available ? redis.url : ''
    // A user of this test's own, with a password (the server's default user has none).
    const admin = createKeyv(url)
    const client = await admin.store.getClient()
    const user = `qa-${randomUUID()}`
    await client.sendCommand(['ACL', 'SETUSER', user, 'on', '>right-password', '~*', '+@all'])
    try {
      const err = await openError(withUser(url, user, 'wrong-s3cret'))
      expect(err.code).toBe('AUTH')
      expect(err.message).toContain('WRONGPASS')
      expect(err.message).not.toContain('wrong-s3cret')
      expect(err.message).not.toMatch(/not running|did not accept a connection/)
      expect(err.hint).toMatch(/user and password in --state/)
    } finally {
      await client.sendCommand(['ACL', 'DELUSER', user])
      await admin.disconnect()
    }
  }, 30_000)
})

describe.skipIf(!redis.available)(
  `Redis, without a password${redis.available ? '' : ` (skipped: ${redis.reason})`}`,
  () => {
    // QA 31d: both read "the Redis server did not accept a connection (not running, or not at that
    // address?)", though it answered, saying why.
    const url = redis.available ? redis.url : ''

    it('a password the server does not use is AUTH, with its answer and without the password', async () => {
      const err = await openError(withUser(url, '', 'never-s3cret'))
      expect(err.code).toBe('AUTH')
      expect(err.message).toMatch(/called without any password configured/)
      expect(err.message).not.toContain('never-s3cret')
      expect(err.message).not.toMatch(/not running|did not accept a connection/)
    }, 30_000)

    // It said so only after the whole connect timeout (5 s), as a server that may not be running
    // (TRANSIENT): the plain server answers a plain PING, so it is known at once not to speak TLS.
    it('rediss:// to a server without TLS is USAGE, saying it does not speak TLS and to write redis://', async () => {
      const u = new URL(url)
      u.protocol = 'rediss:'
      const err = await openError(u.toString())
      expect(err.code).toBe('USAGE')
      expect(err.message).toContain(`the Redis server at ${u.host} does not speak TLS`)
      expect(err.hint).toContain(`--state redis://${u.host}`)
    }, 30_000)

    // QA 32c: "internal error … This is a bug in syncflow" for READONLY, the answer to the lock's write.
    it.skipIf(!hasRedisServer())(
      'a read-only replica is USAGE, saying to point --state at the primary',
      async () => {
        // A replica of a primary that is not there is still a replica: it serves reads, refuses writes.
        // Not there: a port this test holds, closing every connection, so that no server of another
        // run can be there (the replica would copy its data).
        const primary = createServer((socket) => socket.destroy())
        await new Promise<void>((resolve) => primary.listen(0, '127.0.0.1', resolve))
        const { replica, port } = await startReplica((primary.address() as AddressInfo).port)
        try {
          const admin = createKeyv(`redis://127.0.0.1:${port}`)
          await expect
            .poll(
              async () =>
                admin.store.getClient().then(
                  () => true,
                  () => false,
                ),
              { timeout: 10_000 },
            )
            .toBe(true)
          await admin.disconnect()
          const err = await openAndLockError(`redis://127.0.0.1:${port}`)
          expect(err.code).toBe('USAGE')
          expect(err.message).toMatch(/takes no writes: READONLY/)
          expect(err.hint).toMatch(/primary server, not a read-only replica/)
        } finally {
          replica.kill()
          await once(replica, 'exit')
          primary.close()
        }
      },
      30_000,
    )

    it('a database number the server lacks is USAGE, naming the number to fix', async () => {
      const u = new URL(url)
      u.pathname = '/99'
      const err = await openError(u.toString())
      expect(err.code).toBe('USAGE')
      expect(err.message).toMatch(/DB index is out of range/)
      expect(err.hint).toMatch(/database number/)
    }, 30_000)
  },
)

describe.skipIf(!postgres.available)(`PostgreSQL${postgres.available ? '' : ` (skipped: ${postgres.reason})`}`, () => {
  const url = postgres.available ? postgres.url : ''

  it('a role the server does not know is AUTH, not a bug in syncflow', async () => {
    const err = await openError(withUser(url, `no_such_role_${randomUUID().slice(0, 8)}`, 's3cret'))
    expect(err.code).toBe('AUTH')
    expect(err.message).toMatch(/role .* does not exist/)
    expect(err.message).not.toContain('s3cret')
    expect(err.hint).toMatch(/user and password in --state/)
  }, 30_000)

  it('a database that does not exist is USAGE, naming what to fix', async () => {
    const u = new URL(url)
    u.pathname = `/no_such_db_${randomUUID().slice(0, 8)}`
    const err = await openError(u.toString())
    expect(err.code).toBe('USAGE')
    expect(err.message).toMatch(/database .* does not exist/)
    expect(err.hint).toMatch(/Create that database/)
  }, 30_000)

  // QA 32c: "internal error … This is a bug in syncflow" for a user whose transactions only read
  // (as on a hot standby): its CREATE TABLE is refused with 25006.
  it('a server or user that takes no writes is USAGE, saying to point --state at the primary', async () => {
    const pg = createRequire(import.meta.resolve('@keyv/postgres'))('pg') as {
      Client: new (
        url: string,
      ) => { connect(): Promise<void>; query(sql: string): Promise<unknown>; end(): Promise<void> }
    }
    const admin = new pg.Client(url)
    await admin.connect()
    const role = `ro_${randomUUID().slice(0, 8)}`
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`)
      await admin.query(`ALTER ROLE ${role} SET default_transaction_read_only = on`)
      const err = await openAndLockError(withUser(url, role))
      expect(err.code).toBe('USAGE')
      expect(err.message).toMatch(/takes no writes: .*read-only transaction/)
      expect(err.hint).toMatch(/primary server, not a read-only replica/)
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`)
      await admin.end()
    }
  }, 30_000)

  // QA 31d: "internal error … This is a bug in syncflow", exit 2, for a URL asking for TLS
  // (sslmode=no-verify, require, …) from a server without it, as the test server is.
  it('TLS asked of a server without it is USAGE, saying how to fix the URL', async () => {
    const u = new URL(url)
    u.searchParams.set('sslmode', 'no-verify')
    const err = await openError(u.toString())
    expect(err.code).toBe('USAGE')
    expect(err.message).toMatch(/does not support SSL/)
    expect(err.hint).toMatch(/sslmode/)
  }, 30_000)
})
