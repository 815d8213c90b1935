import { execFileSync } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { type Backend, type SyncEvent, sync } from '@syncflow/core'
import { lastValueFrom, toArray } from 'rxjs'
import { afterAll, beforeAll } from 'vitest'
import { type RunningServer, type ServerOptions, startServer } from '../src/index.js'

/** A server on a fresh temp directory, on a free loopback port. */
export async function startTestServer(
  options: Partial<ServerOptions> = {},
): Promise<{ server: RunningServer; dir: string; stop: () => Promise<void> }> {
  const dir = options.root ?? (await mkdtemp(join(tmpdir(), 'grpc-test-')))
  const server = await startServer({ listen: '127.0.0.1:0', ...options, root: dir })
  return {
    server,
    dir,
    stop: async () => {
      await server.close({ graceMs: 0 })
      if (options.root === undefined) await rm(dir, { recursive: true, force: true })
    },
  }
}

/** What `serverBehindProxy` sets up for a test file. */
export interface ServerBehindProxy {
  readonly srv: Awaited<ReturnType<typeof startTestServer>>
  readonly proxy: Awaited<ReturnType<typeof startProxy>>
  /** A scratch directory on this side. */
  readonly local: string
}

/**
 * A test server behind a counting proxy, and a local scratch directory named `prefix…`, made before
 * the file's tests (`beforeAll`) and removed after them; read its fields inside the tests.
 */
export function serverBehindProxy(prefix: string): ServerBehindProxy {
  const env = {} as { -readonly [K in keyof ServerBehindProxy]: ServerBehindProxy[K] }
  beforeAll(async () => {
    env.srv = await startTestServer()
    env.proxy = await startProxy(env.srv.server.port)
    env.local = await mkdtemp(join(tmpdir(), prefix))
  })
  afterAll(async () => {
    await env.proxy?.close()
    await env.srv?.stop()
    if (env.local) await rm(env.local, { recursive: true, force: true })
  })
  return env
}

/**
 * A TCP proxy in front of a server that counts the bytes in each direction (what crossed "the
 * wire") and can cut every connection, like a cable pulled mid-transfer.
 */
export async function startProxy(targetPort: number): Promise<{
  port: number
  /** Bytes client → server and server → client so far. */
  up: () => number
  down: () => number
  reset: () => void
  /** Cuts every open connection, and (optionally) the next ones after `afterUpBytes` client bytes. */
  cut: (afterUpBytes?: number) => void
  /** Cuts every connection once the server has sent `afterDownBytes` more bytes (mid-download). */
  cutDown: (afterDownBytes: number) => void
  /**
   * Once `afterBytes` more bytes went `direction` (client → server `up`, or `down`), forwards
   * nothing more either way, on every connection, new ones too, and stops reading them: a server
   * (or network) that hangs with its connections open. Resolves when it starts.
   */
  stall: (direction: 'up' | 'down', afterBytes: number) => Promise<void>
  close: () => Promise<void>
}> {
  let up = 0
  let down = 0
  let cutAfter: number | undefined
  let cutDownAfter: number | undefined
  let stallAt: { direction: 'up' | 'down'; bytes: number; started: () => void } | undefined
  let stalled = false
  const sockets = new Set<Socket>()
  const hang = () => {
    stalled = true
    for (const s of sockets) s.pause()
    stallAt?.started()
    stallAt = undefined
  }
  const proxy = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    if (stalled) {
      client.pause()
      upstream.pause()
    }
    const kill = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('data', (d) => {
      if (stalled) return
      if (stallAt?.direction === 'up' && up + d.length >= stallAt.bytes) return hang()
      up += d.length
      upstream.write(d)
      if (cutAfter !== undefined && up >= cutAfter) {
        cutAfter = undefined
        for (const s of sockets) s.destroy()
      }
    })
    upstream.on('data', (d) => {
      if (stalled) return
      if (stallAt?.direction === 'down' && down + d.length >= stallAt.bytes) return hang()
      down += d.length
      client.write(d)
      if (cutDownAfter !== undefined && down >= cutDownAfter) {
        cutDownAfter = undefined
        for (const s of sockets) s.destroy()
      }
    })
    client.on('close', kill)
    upstream.on('close', kill)
    client.on('error', kill)
    upstream.on('error', kill)
    client.on('close', () => sockets.delete(client))
    upstream.on('close', () => sockets.delete(upstream))
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  const address = proxy.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    port,
    up: () => up,
    down: () => down,
    reset: () => {
      up = 0
      down = 0
    },
    cutDown: (afterDownBytes) => {
      cutDownAfter = down + afterDownBytes
    },
    stall: (direction, afterBytes) =>
      new Promise<void>((started) => {
        stallAt = { direction, bytes: (direction === 'up' ? up : down) + afterBytes, started }
      }),
    cut: (afterUpBytes) => {
      if (afterUpBytes === undefined) for (const s of sockets) s.destroy()
      else cutAfter = up + afterUpBytes
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        proxy.close(() => resolve())
      }),
  }
}

/** A body that yields `data` 256 KiB at a time, a turn of the event loop apart: slow enough for a cut to land in the middle. */
export function slowBody(data: Buffer): Readable {
  return Readable.from(
    (async function* () {
      for (let off = 0; off < data.length; off += 256 * 1024) {
        yield data.subarray(off, off + 256 * 1024)
        await new Promise((r) => setImmediate(r))
      }
    })(),
  )
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandom(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** A mirror sync from `source` to `target`, all its events; both backends are closed after it. */
export async function mirrorAndClose(source: Backend, target: Backend): Promise<SyncEvent[]> {
  try {
    return await lastValueFrom(sync(source, target, { mode: 'mirror' }).pipe(toArray()))
  } finally {
    await source.close()
    await target.close()
  }
}

/**
 * A self-signed certificate for localhost / 127.0.0.1 (its own CA), made with openssl in `dir`
 * as `key` and `cert`, valid for two days.
 */
export function selfSignedCert(dir: string, key: string, cert: string): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { cwd: dir, stdio: 'pipe' },
  )
}
