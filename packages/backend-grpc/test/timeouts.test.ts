import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createGrpcBackend } from '../src/index.js'
import { pseudoRandom, startProxy, startTestServer } from './helpers.js'
import { startBlackhole, startSilentListener } from './silent-servers.js'

// rsync's --contimeout SEC (give up connecting) and --timeout SEC (no data moved for SEC) on
// grpc:// locations, through the built CLI against the real `syncflow serve` binary: an address
// where nothing answers, and a server that stalls mid-transfer (a proxy that stops forwarding).

const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))
const running: ChildProcess[] = []
const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL')
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

/** Starts `syncflow serve` on `root`; resolves with its port once it says where it listens. */
function serve(root: string): Promise<number> {
  const child = spawn(process.execPath, [BIN, 'serve', '--root', root, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  running.push(child)
  return new Promise((resolve, reject) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d
      const m = /grpcs?:\/\/[^\s]*:(\d+)\//.exec(err)
      if (m) resolve(Number(m[1]))
    })
    // 'close', not 'exit': the message's last chunk can come after the exit.
    child.on('close', (code) => reject(new Error(`syncflow serve exited ${code}: ${err}`)))
  })
}

interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  })
  running.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d
  })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

interface Failed {
  readonly type: 'failed'
  readonly path: string
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string }
}

function failures(stdout: string): Failed[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string })
    .filter((e): e is Failed => e.type === 'failed')
}

describe.skipIf(!existsSync(BIN))('--contimeout SEC: a grpc:// server that cannot be reached in time', () => {
  const places: [string, () => Promise<{ port: number; close: () => Promise<void> }>][] = [
    ['an address that accepts and never answers', startSilentListener],
    ['an address that drops the connection (a blackhole)', startBlackhole],
  ]
  it.each(places)(
    '%s: exit 2 after SEC seconds, naming the address',
    async (_, start) => {
      const silent = await start()
      cleanups.push(silent.close)
      const where = `127.0.0.1:${silent.port}`
      // Without --contimeout this waits a minute (the first request's deadline).
      const ls = await run(['ls', `grpc://${where}/`, '--contimeout', '1'])
      expect(ls.code, ls.stderr).toBe(2)
      expect(ls.stderr).toContain(`no connection to ${where} within 1 s (connection timeout)`)
      expect(ls.stderr).toContain(`\`syncflow serve\` is running at ${where}`)
      expect(ls.stderr).toContain('--contimeout')

      const dst = await tempDir('contimeout-dst-')
      const sync = await run(['sync', `grpc://${where}/`, dst, '--contimeout', '0.5', '--no-state'])
      expect(sync.code, sync.stderr).toBe(2)
      expect(sync.stderr).toContain(`no connection to ${where} within 0.5 s (connection timeout)`)
    },
    20_000,
  )

  it('a server that answers is used as before, however short the connection timeout', async () => {
    const root = await tempDir('contimeout-root-')
    await writeFile(join(root, 'a.txt'), 'alpha\n')
    const port = await serve(root)
    const ls = await run(['ls', `grpc://127.0.0.1:${port}/`, '--contimeout', '0.5', '--timeout', '5'])
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stdout).toContain('a.txt')
  })
})

describe.skipIf(!existsSync(BIN))('--timeout SEC: a grpc:// server that stalls mid-transfer', () => {
  const BIG = 8 << 20

  it('a download: the file fails TRANSIENT saying no data moved, naming the server; exit 1', async () => {
    const root = await tempDir('timeout-root-')
    await writeFile(join(root, 'big.bin'), pseudoRandom(BIG))
    const proxy = await startProxy(await serve(root))
    cleanups.push(proxy.close)
    // A megabyte into the download, the server (as seen from the client) hangs.
    const stalled = proxy.stall('down', 1 << 20)
    const dst = await tempDir('timeout-dst-')
    const r = await run(['copy', `grpc://127.0.0.1:${proxy.port}/`, dst, '--timeout', '1', '--json', '--no-state'])
    await stalled
    expect(r.code, r.stderr).toBe(1)
    const big = failures(r.stdout).find((f) => f.path === 'big.bin')
    expect(big?.error).toMatchObject({
      code: 'TRANSIENT',
      message: `TRANSIENT: grpc.read (big.bin): the server at 127.0.0.1:${proxy.port} sent or took nothing for 1 s (I/O timeout); gave up after 4 attempts`,
      hint: expect.stringContaining('raise --timeout'),
    })
    expect(existsSync(join(dst, 'big.bin'))).toBe(false)
  }, 30_000)

  it('an upload: the file fails TRANSIENT saying no data moved; exit 1', async () => {
    const root = await tempDir('timeout-root-')
    const src = await tempDir('timeout-src-')
    await writeFile(join(src, 'big.bin'), pseudoRandom(BIG))
    const proxy = await startProxy(await serve(root))
    cleanups.push(proxy.close)
    const stalled = proxy.stall('up', 1 << 20)
    const r = await run(['copy', src, `grpc://127.0.0.1:${proxy.port}/`, '--timeout', '1', '--json', '--no-state'])
    await stalled
    expect(r.code, r.stderr).toBe(1)
    const big = failures(r.stdout).find((f) => f.path === 'big.bin')
    // The write that stalled is named, not the re-check (a stat) that the last retry ended at.
    expect(big?.error).toMatchObject({
      code: 'TRANSIENT',
      message: expect.stringMatching(
        new RegExp(
          `^TRANSIENT: grpc\\.write \\(big\\.bin\\): the server at 127\\.0\\.0\\.1:${proxy.port} sent or took nothing for 1 s \\(I/O timeout\\); gave up after 4 attempts`,
        ),
      ),
      hint: expect.stringContaining('raise --timeout'),
    })
    expect(existsSync(join(root, 'big.bin'))).toBe(false)
  }, 30_000)
})

describe('ioTimeoutMs: a listing from a server that stalls', () => {
  it('fails TRANSIENT once nothing comes for that long, the time the caller spends elsewhere not counted', async () => {
    const srv = await startTestServer()
    cleanups.push(srv.stop)
    // Enough entries for a listing of several messages.
    await Promise.all(Array.from({ length: 3000 }, (_, i) => writeFile(join(srv.dir, `file-${i}.txt`), '')))
    const proxy = await startProxy(srv.server.port)
    cleanups.push(proxy.close)
    // Generous: a healthy listing must never time out, and on a loaded 2-core machine one left more
    // than 1 s between two messages (0.3 s, then 1 s, failed there). Only the stall below must time
    // out, and it does after exactly this long, however loaded the machine.
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${proxy.port}/`, ioTimeoutMs: 3000 })
    cleanups.push(() => b.close())
    // A whole listing while the caller, halfway, dawdles longer than the timeout: a timer that counted
    // the caller's time (not only the waits on the server) would fail it.
    let n = 0
    for await (const _ of b.list()) {
      if (++n === 1500) await new Promise((resolve) => setTimeout(resolve, 3500)) // longer than ioTimeoutMs, on purpose
    }
    expect(n).toBe(3000)
    // Then the server hangs a little way into the next listing.
    const stalled = proxy.stall('down', 4000)
    const listing = (async () => {
      for await (const _ of b.list()) {
        // drain
      }
    })()
    await expect(listing).rejects.toMatchObject({
      code: 'TRANSIENT',
      op: 'grpc.list',
      message: expect.stringContaining('sent or took nothing for 3 s (I/O timeout)'),
    })
    await stalled
  }, 30_000)
})
