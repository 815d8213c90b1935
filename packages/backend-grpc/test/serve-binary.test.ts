import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { partialPathOf } from '@syncflow/backend-local'
import type { RelPath } from '@syncflow/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createGrpcBackend, startServer } from '../src/index.js'
import { pseudoRandom } from './helpers.js'

// The real `syncflow serve` binary (the built CLI), as users run it.
const BIN = fileURLToPath(new URL('../../cli-tui/dist/bin.js', import.meta.url))
// The CLI imports this package's build (dist/), not its source.
const BUILT = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const running: ChildProcess[] = []
const dirs: string[] = []

afterEach(async () => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL')
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** Starts `syncflow serve`; resolves with its port once it says where it listens, or with why it cannot run. */
function serve(args: string[]): Promise<{ port: number; child: ChildProcess } | { unavailable: string }> {
  // stdout unread is not piped: a pipe no one reads holds the child once it is full.
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  running.push(child)
  return new Promise((resolve) => {
    let err = ''
    child.stderr!.on('data', (d: Buffer) => {
      err += d
      const m = /grpcs?:\/\/[^\s]*:(\d+)\//.exec(err)
      if (m) resolve({ port: Number(m[1]), child })
    })
    // 'close', not 'exit': the output's last chunk can come after the exit.
    child.on('close', (code) => resolve({ unavailable: `syncflow serve exited ${code}: ${err.trim().slice(0, 200)}` }))
  })
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d
  })
  // 'close', not 'exit': the last chunk of stderr can come after the exit.
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })))
}

describe('the syncflow serve binary', () => {
  it('serves a directory to grpc:// clients and syncs from the CLI; a wrong token exits 2', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    if (!existsSync(BUILT)) ctx.skip('@syncflow/backend-grpc is not built (npm run build must include it)')
    const root = await mkdtemp(join(tmpdir(), 'serve-bin-'))
    const src = await mkdtemp(join(tmpdir(), 'serve-src-'))
    dirs.push(root, src)
    const started = await serve(['--root', root, '--listen', '127.0.0.1:0', '--token', 'tok'])
    if ('unavailable' in started) ctx.skip(`the CLI has no working serve command yet (${started.unavailable})`)
    const { port, child } = started as { port: number; child: ChildProcess }

    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, token: 'tok' })
    const { Readable } = await import('node:stream')
    await b.write('via-api.txt' as RelPath, Readable.from([Buffer.from('api')]), { mtimeMs: 1_700_000_000_000 })
    await b.close()
    expect(await readFile(join(root, 'via-api.txt'), 'utf8')).toBe('api')

    await mkdir(join(src, 'sub'))
    await writeFile(join(src, 'sub/a.txt'), 'from the cli')
    const ok = await run(['sync', src, `grpc://127.0.0.1:${port}/mirror`, '--no-state', '-q'], {
      SYNCFLOW_TOKEN: 'tok',
    })
    expect(ok.code, ok.stderr).toBe(0)
    expect(await readFile(join(root, 'mirror/sub/a.txt'), 'utf8')).toBe('from the cli')

    const denied = await run(['sync', src, `grpc://127.0.0.1:${port}/mirror`, '--no-state', '-q'], {
      SYNCFLOW_TOKEN: 'wrong',
    })
    expect(denied.code).toBe(2)
    expect(denied.stderr).toMatch(/token/i)

    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
    expect(child.exitCode === 0 || child.signalCode === 'SIGTERM').toBe(true)
  }, 60_000)

  it('Ctrl-C (SIGINT) stops it with 130, as any interrupted command; SIGTERM with 0', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const root = await mkdtemp(join(tmpdir(), 'serve-sigint-'))
    dirs.push(root)
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 0],
    ] as const) {
      const started = await serve(['--root', root, '--listen', '127.0.0.1:0', '--token', 'tok'])
      if ('unavailable' in started) throw new Error(started.unavailable)
      const { child } = started as { child: ChildProcess }
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
      child.kill(sig)
      expect(await exited).toBe(code)
    }
  }, 30_000)

  // QA 31a: SIGHUP (the terminal or ssh session it was started from closed) killed it at once: an
  // upload in flight left its temp file under --root (up to the size of the file), where SIGTERM
  // removes it. It stops as for SIGTERM, then ends by the hangup, as the other commands do.
  it('a hangup (SIGHUP) mid-upload stops it in order: no temp file left under --root (but the partial kept for a resume), ended by the signal', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    const root = await mkdtemp(join(tmpdir(), 'serve-sighup-'))
    dirs.push(root)
    const started = await serve(['--root', root, '--listen', '127.0.0.1:0', '--token', 'tok'])
    if ('unavailable' in started) throw new Error(started.unavailable)
    const { port, child } = started as { port: number; child: ChildProcess }
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d
    })
    // Once its output is all read ('close'; 'exit' can come before the last line, checked below).
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, sig) => resolve(sig)))
    const b = await createGrpcBackend({ uri: `grpc://127.0.0.1:${port}/`, token: 'tok' })
    const { PassThrough } = await import('node:stream')
    // A body that never ends: the upload stays in flight.
    const body = new PassThrough()
    body.write(pseudoRandom(1 << 20, 7))
    const upload = b.write('big.bin' as RelPath, body, { mtimeMs: 1_700_000_000_000 }).catch((e: unknown) => e)
    const temps = async (): Promise<string[]> => (await readdir(root)).filter((n) => n.startsWith('.syncflow-tmp-'))
    await expect.poll(temps, { timeout: 20_000 }).toHaveLength(1)
    child.kill('SIGHUP')
    expect(await exited).toBe('SIGHUP')
    expect(stderr).toContain('syncflow serve: stopping')
    // What came, when 1 MiB or more, is kept under the file's partial name, for the next upload to resume.
    expect((await temps()).filter((n) => n !== partialPathOf('big.bin'))).toEqual([])
    expect(existsSync(join(root, 'big.bin'))).toBe(false)
    expect(await upload).toBeInstanceOf(Error)
    body.destroy()
    await b.close()
  }, 60_000)

  it('the CLI syncs to grpc:// (delta on a re-sync), and a wrong token exits 2', async (ctx) => {
    if (!existsSync(BIN)) ctx.skip('the CLI is not built (npm run build)')
    if (!existsSync(BUILT)) ctx.skip('@syncflow/backend-grpc is not built (npm run build must include it)')
    const root = await mkdtemp(join(tmpdir(), 'cli-grpc-root-'))
    const src = await mkdtemp(join(tmpdir(), 'cli-grpc-src-'))
    dirs.push(root, src)
    const server = await startServer({ root, listen: '127.0.0.1:0', token: 'tok' })
    try {
      const big = pseudoRandom(4 << 20, 31)
      await writeFile(join(src, 'big.bin'), big)
      await writeFile(join(src, 'small.txt'), 'small')
      const uri = `grpc://127.0.0.1:${server.port}/dst`
      const first = await run(['sync', src, uri, '--no-state', '-q'], { SYNCFLOW_TOKEN: 'tok' })
      expect(first.code, first.stderr).toBe(0)
      expect((await readFile(join(root, 'dst/big.bin'))).equals(big)).toBe(true)

      big.fill(1, 1_000_000, 1_000_100)
      await writeFile(join(src, 'big.bin'), big)
      const again = await run(['sync', src, uri, '--no-state', '--json'], { SYNCFLOW_TOKEN: 'tok' })
      expect(again.code, again.stderr).toBe(0)
      expect((await readFile(join(root, 'dst/big.bin'))).equals(big)).toBe(true)

      const denied = await run(['sync', src, uri, '--no-state', '-q'], { SYNCFLOW_TOKEN: 'wrong' })
      expect(denied.code).toBe(2)
      expect(denied.stderr).toMatch(/token/i)
    } finally {
      await server.close({ graceMs: 0 })
    }
  }, 60_000)
})
