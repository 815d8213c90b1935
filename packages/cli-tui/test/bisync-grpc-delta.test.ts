import { randomBytes } from 'node:crypto'
import { readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { partialPathOf } from '@syncflow/backend-local'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, jsonLines, killedAfterEach, runCli, startCli, tempDir } from './helpers/cli.js'
import { biggestTemp, servedFiles } from './helpers/pulls.js'

// A two-way run with a `syncflow serve` side moves what one-way sync moves: deltas, resumable
// pulls, under --bwlimit (review of the pull resume: bisync sent every file whole, kept no
// partial, and took --bwlimit without applying it).

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

type Done = { type: string; summary: { bytesTransferred: number; bytesPerSec: number; done: Record<string, number> } }

const served = (files: Record<string, Buffer>) => servedFiles(files, running)

/** A state directory of the job beside `dir` (not in it: a side's listing would take it in). */
const stateEnv = (dir: string) => ({ SYNCFLOW_STATE_DIR: `${dir}-state` })

describe('bisync with a syncflow serve side', () => {
  it('carries an edit of a big file as a delta, each way', async () => {
    const data = randomBytes(8 << 20)
    const { root, url } = await served({ 'big.bin': data })
    const local = await tempDir()
    const env = stateEnv(local)
    const first = await runCli(['bisync', url, local], { env })
    expect(first.code, first.stderr).toBe(0)
    // 4 KiB rewritten in the middle, on the server's side: pulled as a delta.
    const edited = Buffer.from(data)
    randomBytes(4096).copy(edited, 3 << 20)
    await writeFile(join(root, 'big.bin'), edited)
    await utimes(join(root, 'big.bin'), new Date(), new Date(Date.now() + 10_000))
    const pull = await runCli(['bisync', url, local, '--json'], { env })
    expect(pull.code, pull.stderr).toBe(0)
    expect((await readFile(join(local, 'big.bin'))).equals(edited)).toBe(true)
    const pulled = jsonLines(pull.stdout).at(-1) as unknown as Done
    expect(pulled.summary.done.update).toBe(1)
    expect(pulled.summary.bytesTransferred).toBeLessThan(1 << 20)
    // And on the local side: pushed as a delta.
    randomBytes(4096).copy(edited, 5 << 20)
    await writeFile(join(local, 'big.bin'), edited)
    await utimes(join(local, 'big.bin'), new Date(), new Date(Date.now() + 20_000))
    const push = await runCli(['bisync', url, local, '--json'], { env })
    expect(push.code, push.stderr).toBe(0)
    expect((await readFile(join(root, 'big.bin'))).equals(edited)).toBe(true)
    const pushed = jsonLines(push.stdout).at(-1) as unknown as Done
    expect(pushed.summary.bytesTransferred).toBeLessThan(1 << 20)
  }, 120_000)

  it('keeps a stopped pull of a new file for the next run, which fetches only the rest', async () => {
    const data = randomBytes(24 << 20)
    const { url } = await served({ 'big.bin': data })
    const local = await tempDir()
    const env = stateEnv(local)
    const run = startCli(['bisync', url, local, '--bwlimit', '8M'], { env })
    running.push(run)
    const partial = join(local, partialPathOf('big.bin'))
    await expect.poll(() => biggestTemp(local), { timeout: 30_000, interval: 20 }).toBeGreaterThan(4 << 20)
    run.child.kill('SIGINT')
    const stopped = await run.exited
    expect(stopped.code, stopped.stderr).toBe(130)
    expect(stopped.stderr).toContain('note: download of big.bin kept for resume')
    const kept = (await stat(partial)).size
    expect(kept).toBeGreaterThan(1 << 20)
    const again = await runCli(['bisync', url, local, '--json'], { env })
    expect(again.code, again.stderr).toBe(0)
    expect((await readFile(join(local, 'big.bin'))).equals(data)).toBe(true)
    const done = jsonLines(again.stdout).at(-1) as unknown as Done
    expect(done.summary.bytesTransferred).toBeLessThan(data.length - kept + (1 << 20))
    expect(await stat(partial).catch(() => 'gone')).toBe('gone')
  }, 120_000)

  it('holds both directions to --bwlimit together', async () => {
    const a = await tempDir()
    const b = await tempDir()
    await writeFile(join(a, 'one.bin'), randomBytes(3 << 20))
    await writeFile(join(b, 'two.bin'), randomBytes(3 << 20))
    const env = stateEnv(a)
    const r = await runCli(['bisync', a, b, '--bwlimit', '2M', '--json'], { env })
    expect(r.code, r.stderr).toBe(0)
    const done = jsonLines(r.stdout).at(-1) as unknown as Done
    expect(done.summary.bytesTransferred).toBe(6 << 20)
    // 6 MiB at 2 MiB/s, for both directions at once (a second's burst allowed): over 2 s.
    expect(done.summary.bytesPerSec).toBeLessThan(3 * (1 << 20))
  }, 60_000)
})
