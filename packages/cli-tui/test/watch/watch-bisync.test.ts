import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  type RunningCli,
  readTree,
  runCli,
  startCli,
  startServe,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// `syncflow watch A B --bisync` as a user runs it: the built binary on two real directories.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

async function setup() {
  const root = await tempDir('syncflow-watch-bisync-')
  const A = join(root, 'a')
  const B = join(root, 'b')
  await mkdir(A)
  await mkdir(B)
  return { root, A, B, env: { SYNCFLOW_STATE_DIR: join(root, 'state') } }
}
function start(args: string[], env: Record<string, string>): RunningCli {
  const r = startCli(['watch', '--bisync', ...args], { env })
  running.push(r)
  return r
}
type Json = {
  type: string
  cycle?: number
  trigger?: string
  summary?: Record<string, unknown>
  action?: Record<string, unknown>
}
const dones = (r: RunningCli) => (jsonLines(r) as Json[]).filter((e) => e.type === 'done')

describe('syncflow watch --bisync', () => {
  it('carries each side’s changes to the other until SIGINT (exit 130), with NDJSON cycles', async () => {
    const { A, B, env } = await setup()
    await writeTree(A, { 'a.txt': 'from A' })
    await writeTree(B, { 'docs/b.md': 'from B' })
    const r = start([A, B, '--json', '--debounce', '50'], env)
    await expect.poll(() => dones(r).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    expect(dones(r)[0]).toMatchObject({ cycle: 1, trigger: 'initial', summary: { mode: 'bisync' } })
    expect(await readTree(A)).toEqual({ 'a.txt': 'from A', 'docs/b.md': 'from B' })
    expect(await readTree(B)).toEqual(await readTree(A))

    await writeFile(join(B, 'docs/new.md'), 'new on B')
    await expect
      .poll(() => readTree(A))
      .toEqual({ 'a.txt': 'from A', 'docs/b.md': 'from B', 'docs/new.md': 'new on B' })
    await rm(join(A, 'a.txt'))
    await expect.poll(() => readTree(B)).toEqual({ 'docs/b.md': 'from B', 'docs/new.md': 'new on B' })
    // Each action says the side it wrote.
    await expect
      .poll(() =>
        (jsonLines(r) as Json[])
          .filter((e) => e.type === 'completed')
          .map((e) => `${String(e.action?.kind)} ${String(e.action?.path)} ${String(e.action?.to)}`)
          .sort(),
      )
      .toEqual(['copy a.txt b', 'copy docs/b.md a', 'copy docs/new.md a', 'delete a.txt b', 'mkdir docs a'])

    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    const last = jsonLines(end.stdout).at(-1) as Json
    expect(last).toMatchObject({ type: 'done', summary: { mode: 'watch', interrupted: true, failed: 0 } })
    expect(end.stderr).not.toMatch(/\n\s+at /)
  })

  it('prints a log of cycles with the direction of each action', async () => {
    const { A, B, env } = await setup()
    await writeTree(A, { 'x.txt': 'x' })
    // (-c and --no-check-updated: two-way sync takes them too.)
    const r = start([A, B, '-v', '-c', '--no-check-updated'], env)
    await expect.poll(() => r.stdout()).toContain('copied   x.txt  (A → B)')
    expect(r.stderr()).toContain(`watching ${A} ⇄ ${B} (Ctrl-C to stop)`)
    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    expect(end.stderr).toMatch(/Done in .*copied 1 file/)
  })

  it('watches a local A and a remote B behind `syncflow serve` (its Watch stream), both ways', async () => {
    const { root, A, env } = await setup()
    const served = join(root, 'served')
    await writeTree(served, { 'b/remote.txt': 'on the server' })
    await writeTree(A, { 'local.txt': 'on A' })
    const { server, port } = await startServe(served)
    running.push(server)
    const r = start([A, `grpc://127.0.0.1:${port}/`, '--json'], env)
    await expect
      .poll(() => readTree(served), { timeout: 20_000 })
      .toEqual({ 'b/remote.txt': 'on the server', 'local.txt': 'on A' })
    // (Both directions of the first pass run at once: A's copy may still be in its temp file.)
    await expect.poll(() => readTree(A)).toEqual({ 'b/remote.txt': 'on the server', 'local.txt': 'on A' })
    // Written on the server's side: its watch stream tells the client, whose pass brings it over.
    await writeFile(join(served, 'b/second.txt'), 'written on the server')
    await expect.poll(() => readTree(A)).toHaveProperty(['b/second.txt'], 'written on the server')
    await rm(join(A, 'local.txt'))
    await expect
      .poll(() => readTree(served))
      .toEqual({ 'b/remote.txt': 'on the server', 'b/second.txt': 'written on the server' })
    r.child.kill('SIGINT')
    const end = await r.exited
    expect(end.code, end.stderr).toBe(130)
    expect(jsonLines(end.stdout).filter((e) => e.type === 'failed')).toEqual([])
  })

  it('holds the pair both ways: bisync B A beside watch A B --bisync fails LOCKED, and runs once the watch stopped', async () => {
    const { A, B, env } = await setup()
    await writeTree(A, { 'a.txt': 'a' })
    const r = start([A, B, '--json'], env)
    await expect.poll(() => dones(r).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(1)
    const reversed = await runCli(['bisync', B, A], { env })
    expect(reversed.code).toBe(2)
    expect(reversed.stderr).toContain('another syncflow run holds the lock')
    r.child.kill('SIGINT')
    expect((await r.exited).code).toBe(130)
    const after = await runCli(['bisync', B, A], { env })
    expect(after.code, after.stderr).toBe(0)
  })

  it.each([
    [['--mode', 'copy'], '--mode and --bisync both given'],
    [['--update'], '--update does not apply to watch --bisync'],
    [['--delete-excluded'], '--delete-excluded does not apply to watch --bisync'],
    [['--no-state'], 'it cannot run with --no-state'],
  ])('refuses %j with a clear message and exit 2, changing nothing', async (flags, message) => {
    const { A, B, env } = await setup()
    await writeTree(A, { 'x.txt': 'x' })
    const res = await runCli(['watch', A, B, '--bisync', ...flags], { env })
    expect(res.code).toBe(2)
    expect(res.stderr).toContain(message)
    expect(res.stderr).not.toMatch(/\n\s+at /)
    expect(await readTree(B)).toEqual({})
  })

  it('refuses --conflict without --bisync, and a missing B', async () => {
    const { root, A, env } = await setup()
    const noBisync = await runCli(['watch', A, join(root, 'b'), '--conflict', 'newer'], { env })
    expect(noBisync.code).toBe(2)
    expect(noBisync.stderr).toContain('--conflict applies to two-way sync only')
    const missing = await runCli(['watch', A, join(root, 'nope'), '--bisync'], { env })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('does not exist')
  })
})
