// A `--state` server that cannot be used fails the open once, at once (QA 32c): a Redis port with
// nothing behind it was tried again and again for the whole 5 s connect timeout, and a postgres://
// URL at a server that is not PostgreSQL (a Redis port: it never answers PostgreSQL's greeting) was
// connected twice, failed after 6 s as "no answer", and its second connection held the CLI ~15 s in
// all. Plain TCP servers stand for the wrong servers, counting the connections they are asked for.
import { randomUUID } from 'node:crypto'
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { openStateStore, type SyncError } from '@syncflow/core'
import { afterEach, describe, expect, it } from 'vitest'

/** A TCP server on 127.0.0.1 that closes each connection at once, or holds it without a word. */
async function wrongServer(behaviour: 'close' | 'silent') {
  const open = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    connections++
    socket.on('error', () => {})
    if (behaviour === 'close') return socket.destroy()
    open.add(socket)
    socket.on('close', () => open.delete(socket))
    // Read (and drop) what comes, so that the client's end is seen.
    socket.resume()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    openSockets: () => open.size,
    close: () => {
      for (const s of open) s.destroy()
      server.close()
    },
  }
}

async function openError(location: string): Promise<SyncError> {
  return openStateStore(location, { jobId: `test-${randomUUID()}`, stateDir: tmpdir() }).then(
    async (store) => {
      await store.close()
      throw new Error(`${location} opened`)
    },
    (e: unknown) => e as SyncError,
  )
}

describe('a --state server that cannot be used', () => {
  const servers: { close(): void }[] = []
  afterEach(() => {
    for (const s of servers.splice(0)) s.close()
  })

  it('redis:// whose connection is closed (refused, or not a Redis server) fails after one try', async () => {
    const server = await wrongServer('close')
    servers.push(server)
    const err = await openError(`redis://127.0.0.1:${server.port}`)
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toMatch(/cannot reach the state store/)
    // Before: tried again with a growing delay until the 5 s connect timeout (7 connections).
    expect(server.connections()).toBe(1)
  }, 30_000)

  it('postgres:// at a server that never answers fails once, saying what may be wrong, and keeps no connection', async () => {
    const server = await wrongServer('silent')
    servers.push(server)
    const err = await openError(`postgres://syncflow@127.0.0.1:${server.port}/postgres`)
    expect(err.code).toBe('TRANSIENT')
    expect(err.message).toMatch(/no PostgreSQL server answered there in time .*another kind of server/)
    expect(err.hint).toMatch(/--no-state/)
    expect(server.connections()).toBe(1)
    // The pool ends with the open: no connection left to hold the process.
    await expect.poll(() => server.openSockets(), { timeout: 5000 }).toBe(0)
  }, 30_000)

  it('an open stopped while the server never answers fails ABORTED, and its connect is dropped', async () => {
    // A Ctrl-C while the open waited: the CLI gave up on it, but the connect held the process for the
    // rest of the connect timeout (ended by bin.js's 3 s safety net), and a script's open went on to
    // fail TRANSIENT after 5 s. PostgreSQL's connect, which ending its pool does not end, did so too
    // once Redis's was dropped (the CLI's cli-state-open-interrupt test tells it apart from the
    // safety net without timing).
    for (const scheme of ['redis', 'postgres'] as const) {
      const server = await wrongServer('silent')
      servers.push(server)
      const stop = new AbortController()
      const location =
        scheme === 'redis'
          ? `redis://127.0.0.1:${server.port}`
          : `postgres://syncflow@127.0.0.1:${server.port}/postgres`
      const opening = openStateStore(location, {
        jobId: `test-${randomUUID()}`,
        stateDir: tmpdir(),
        signal: stop.signal,
      })
      // Stopped once the connection is open and waiting (not before the open began).
      await expect.poll(() => server.openSockets()).toBe(1)
      stop.abort()
      const err = await opening.then(
        () => new Error('opened'),
        (e: unknown) => e as SyncError,
      )
      expect(err, `${scheme}: ${err.message}`).toMatchObject({ code: 'ABORTED', op: 'state.open' })
      await expect.poll(() => server.openSockets()).toBe(0)
    }
    // Stopped before it began: nothing is connected.
    const server = await wrongServer('silent')
    servers.push(server)
    const stop = new AbortController()
    stop.abort()
    const early = await openStateStore(`redis://127.0.0.1:${server.port}`, {
      jobId: `test-${randomUUID()}`,
      stateDir: tmpdir(),
      signal: stop.signal,
    }).then(
      () => new Error('opened'),
      (e: unknown) => e as SyncError,
    )
    expect(early).toMatchObject({ code: 'ABORTED' })
    expect(server.connections()).toBe(0)
  }, 30_000)
})
