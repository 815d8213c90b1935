import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Http2Session, type ServerHttp2Stream } from 'node:http2'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { startBlackhole } from './silent-servers.js'

// What bounds the connection to a grpc:// server, as rsync has it: --contimeout (connectTimeoutMs)
// alone bounds connecting; --timeout (ioTimeoutMs) bounds the wait for the answer once connected.
// Each error names the flag that ran out, and a connect given up leaves nothing keeping the process alive.

const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))
const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/**
 * A server that completes the HTTP/2 handshake (so a gRPC client is connected) and never answers a
 * call: a `syncflow serve` that is stalled or overloaded.
 */
async function startMuteHttp2Server(): Promise<{ port: number; close: () => Promise<void> }> {
  const sessions = new Set<Http2Session>()
  const streams = new Set<ServerHttp2Stream>()
  const server = createServer()
  server.on('session', (s) => {
    sessions.add(s)
    s.on('error', () => {})
  })
  server.on('stream', (stream) => {
    streams.add(stream)
    stream.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** The connects in flight in this process (Node's `ConnectWrap` requests). */
const connectsInFlight = () => process.getActiveResourcesInfo().filter((r) => r === 'ConnectWrap').length

describe('createGrpcBackend: connection timeout and I/O timeout', () => {
  it('ioTimeoutMs does not shorten connecting: a blackhole fails after connectTimeoutMs, naming it', async () => {
    const hole = await startBlackhole()
    cleanups.push(hole.close)
    const started = Date.now()
    const err = await createGrpcBackend({
      uri: `grpc://127.0.0.1:${hole.port}/`,
      ioTimeoutMs: 200,
      connectTimeoutMs: 1500,
    }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400)
    expect(err).toMatchObject({
      code: 'TRANSIENT',
      op: 'grpc.hello',
      message: expect.stringContaining(`no connection to 127.0.0.1:${hole.port} within 1.5 s (connection timeout)`),
      hint: expect.stringContaining('raise --contimeout'),
    })
  })

  it('a server that takes the connection and never answers: an I/O timeout naming --timeout, not --contimeout', async () => {
    const mute = await startMuteHttp2Server()
    cleanups.push(mute.close)
    const err = await createGrpcBackend({
      uri: `grpc://127.0.0.1:${mute.port}/`,
      ioTimeoutMs: 300,
      connectTimeoutMs: 5000,
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({
      code: 'TRANSIENT',
      op: 'grpc.hello',
      message: expect.stringContaining(
        `the server at 127.0.0.1:${mute.port} took the connection but sent nothing for 0.3 s (I/O timeout)`,
      ),
      hint: expect.stringContaining('raise --timeout'),
    })
    expect(String((err as Error).message)).not.toContain('nothing there answered')
    expect((err as { hint: string }).hint).not.toContain('--contimeout')
  })

  it('a connect given up is abandoned: no connect left in flight to keep the process alive', async () => {
    const hole = await startBlackhole()
    cleanups.push(hole.close)
    const before = connectsInFlight()
    await expect(
      createGrpcBackend({ uri: `grpc://127.0.0.1:${hole.port}/`, connectTimeoutMs: 300 }),
    ).rejects.toMatchObject({ message: expect.stringContaining('(connection timeout)') })
    // Without the clean-up, the connect keeps sending SYNs for about two minutes: waiting up to 10 s
    // for it to go tells the two apart on a loaded machine too (the wait ends as soon as it is gone).
    await vi.waitFor(() => expect(connectsInFlight()).toBe(before), { timeout: 10_000 })
  })

  it.skipIf(!existsSync(BIN))('the CLI exits as soon as it has said so (not at its 3 s safety net)', async () => {
    const hole = await startBlackhole()
    cleanups.push(hole.close)
    const child = spawn(process.execPath, [BIN, 'ls', `grpc://127.0.0.1:${hole.port}/`, '--contimeout', '0.5'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stderr = ''
    let saidAt: number | undefined
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
      if (saidAt === undefined && stderr.includes('(connection timeout)')) saidAt = Date.now()
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, stderr).toBe(2)
    expect(saidAt).toBeDefined()
    // bin.ts exits a process kept alive by a leaked handle 3 s after the command ended.
    expect(Date.now() - (saidAt ?? 0)).toBeLessThan(2000)
  })
})
