import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { partialPathOf } from '@syncflow/backend-local'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, killedAfterEach, runCli, startCli, startServe, tempDir } from './helpers/cli.js'

// A push to a `syncflow serve` stopped in order (Ctrl-C, SIGTERM), in its first upload or in its
// resume, and the server stopped in turn: what the server got is kept, and the run says so (the
// review of stop 41 found a resume stopped by Ctrl-C losing the partial it resumed from).

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const SIZE = 24 << 20

/** The size of the biggest temp file (an upload under way, or a partial) in `root`. */
async function biggestTemp(root: string): Promise<number> {
  let most = 0
  for (const n of await readdir(root)) {
    if (n.startsWith('.syncflow-tmp-'))
      most = Math.max(most, (await stat(join(root, n)).catch(() => undefined))?.size ?? 0)
  }
  return most
}

/** Waits until an upload into `root` (its temp file) holds more than `bytes`. */
async function tempHolds(root: string, bytes: number): Promise<void> {
  await expect.poll(() => biggestTemp(root), { timeout: 30_000, interval: 20 }).toBeGreaterThan(bytes)
}

it('Ctrl-C of a push: exit 130, says what it kept; Ctrl-C of its resume keeps as much or more; the next run ends it', async () => {
  const src = await tempDir()
  const root = await tempDir()
  const state = join(await tempDir(), 'state.db')
  const data = randomBytes(SIZE)
  await writeFile(join(src, 'big.bin'), data)
  const { server, port } = await startServe(root)
  running.push(server)
  const url = `grpc://127.0.0.1:${port}/`
  const partial = partialPathOf('big.bin')
  const run = startCli(['sync', src, url, '--state', state, '--bwlimit', '8M'])
  running.push(run)
  await tempHolds(root, 6 << 20)
  run.child.kill('SIGINT')
  const r = await run.exited
  expect(r.code).toBe(130)
  expect(r.stderr).toMatch(
    /note: upload of big\.bin stopped \(\d+ of 25165824 bytes sent\): what the server wrote of it, from 1 MiB on, is kept there for resume/,
  )
  await expect.poll(() => readdir(root), { timeout: 10_000 }).toEqual([partial])
  const kept = (await stat(join(root, partial))).size

  // The resume, stopped in turn once its patch has written past what was kept (slowed for that).
  const again = startCli(['sync', src, url, '--state', state, '--bwlimit', '4M'])
  running.push(again)
  await expect.poll(async () => (await readdir(root)).length, { timeout: 30_000, interval: 10 }).toBe(2)
  again.child.kill('SIGINT')
  const r2 = await again.exited
  expect(r2.code).toBe(130)
  await expect.poll(() => readdir(root), { timeout: 10_000 }).toEqual([partial])
  expect((await stat(join(root, partial))).size).toBeGreaterThanOrEqual(kept)

  const done = await runCli(['sync', src, url, '--state', state])
  expect(done.code).toBe(0)
  expect((await readFile(join(root, 'big.bin'))).equals(data)).toBe(true)
  expect(await readdir(root)).toEqual(['big.bin'])
}, 120_000)

it('SIGTERM of a push: exit 130, the note, and the partial kept', async () => {
  const src = await tempDir()
  const root = await tempDir()
  const state = join(await tempDir(), 'state.db')
  await writeFile(join(src, 'big.bin'), randomBytes(SIZE))
  const { server, port } = await startServe(root)
  running.push(server)
  const run = startCli(['sync', src, `grpc://127.0.0.1:${port}/`, '--state', state, '--bwlimit', '8M'])
  running.push(run)
  await tempHolds(root, 6 << 20)
  run.child.kill('SIGTERM')
  const r = await run.exited
  expect(r.code).toBe(130)
  expect(r.stderr).toContain('is kept there for resume')
  await expect.poll(() => readdir(root), { timeout: 10_000 }).toEqual([partialPathOf('big.bin')])
}, 60_000)

it('a serve stopped by SIGTERM during an upload lets it finish within its grace', async () => {
  const src = await tempDir()
  const root = await tempDir()
  const state = join(await tempDir(), 'state.db')
  await writeFile(join(src, 'big.bin'), randomBytes(SIZE))
  const { server, port } = await startServe(root)
  running.push(server)
  const run = startCli(['sync', src, `grpc://127.0.0.1:${port}/`, '--state', state, '--bwlimit', '8M'])
  running.push(run)
  await tempHolds(root, 6 << 20)
  server.child.kill('SIGTERM')
  await server.exited
  const r = await run.exited
  expect(r.code).toBe(0)
  expect(await readdir(root)).toEqual(['big.bin'])
}, 120_000)
