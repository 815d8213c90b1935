import { once } from 'node:events'
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  drainedEnv,
  EVENT_LOOP_EMPTY,
  killedAfterEach,
  startCli,
  tempDir,
  writeTree,
} from './helpers/cli.js'

// A Ctrl-C while the run waited on a state server that takes the connection and never answers (a
// stalled server, a firewall proxy) was held for the open's whole timeout, then ended the run as
// TRANSIENT "cannot reach the state store", exit 2: a script took the interrupted run for an outage.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

let server: Server | undefined
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  if (server) await new Promise((resolve) => server?.close(resolve))
  server = undefined
})

/** A listener on 127.0.0.1 that takes connections and never answers; the sockets it holds. */
async function silentServer(): Promise<number> {
  server = createServer((socket) => {
    sockets.push(socket)
  }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  return (server.address() as AddressInfo).port
}

describe('a Ctrl-C while the state server is waited for', () => {
  // PostgreSQL's open (not its dry run's probe) left its connect to pg's own connect timeout (5 s):
  // ending the pool does not end a connection still opening.
  it.each([
    ['a run', 'redis', []],
    ['a dry run', 'redis', ['--dry-run']],
    ['a run', 'postgres', []],
    ['a dry run', 'postgres', ['--dry-run']],
  ])('ends %s on %s:// as interrupted (exit 130), not as a state server out of reach', async (_name, scheme, extra) => {
    const root = await tempDir('state-open-interrupt-')
    await writeTree(join(root, 'src'), { a: 'a' })
    const port = await silentServer()
    const location = scheme === 'redis' ? `redis://127.0.0.1:${port}` : `postgres://syncflow@127.0.0.1:${port}/postgres`
    const run = startCli(['sync', join(root, 'src'), join(root, 'dst'), '--state', location, ...extra], {
      env: {
        SYNCFLOW_STATE_DIR: join(root, 'state'),
        // Ends by itself, not by bin.js's 3 s safety net: the open's (the dry run's probe's)
        // connect left waiting held it so.
        ...(await drainedEnv()),
      },
    })
    running.push(run)
    // The run is waiting on the server once it has connected.
    await expect.poll(() => sockets.length, { timeout: 10_000 }).toBeGreaterThan(0)
    run.child.kill('SIGINT')
    const r = await run.exited
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toContain('interrupted before the run started')
    expect(r.stderr).not.toContain('cannot reach the state store')
    expect(r.stderr).toContain(EVENT_LOOP_EMPTY)
  })
})
