import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { partialPathOf } from '@syncflow/backend-local'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, jsonLines, killedAfterEach, runCli, startCli, tempDir } from './helpers/cli.js'
import { biggestTemp, servedBig, stoppedPull } from './helpers/pulls.js'

// The review of the download resume (rsync --partial for pulls from `syncflow serve`): each test is
// a user's run that ended wrong before its fix (the reviewer's, kept as written).

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const PARTIAL = partialPathOf('big.bin')

const served = (data: Buffer) => servedBig(data, running)

it('a partial of another, longer file gives way to what a pull of the new file fetched', async () => {
  // Run 1 pulls a 24 MiB big.bin and is stopped at 20 MiB: a 20 MiB partial.
  const old = randomBytes(24 << 20)
  const { root, dst, url } = await served(old)
  expect((await stoppedPull(running, url, dst, { bytes: 20 << 20, signal: 'SIGINT' })).code).toBe(130)
  const first = (await stat(join(dst, PARTIAL))).size
  expect(first).toBeGreaterThan(20 << 20)
  // The served big.bin is now another file (16 MiB, nothing in common with the old one).
  const data = randomBytes(16 << 20)
  await writeFile(join(root, 'big.bin'), data)
  await utimes(join(root, 'big.bin'), new Date(), new Date(Date.now() + 5_000))
  // Run 2 gets 10 MiB of it, and is stopped.
  const r = await stoppedPull(running, url, dst, { bytes: 10 << 20, signal: 'SIGINT' })
  expect(r.code).toBe(130)
  // What it says it kept: more bytes "written" than the file has.
  const said = /kept for resume \((\d+) of (\d+) bytes written\)/.exec(r.stderr)
  expect(Number(said?.[1]), r.stderr).toBeLessThanOrEqual(Number(said?.[2]))
  // rsync --partial keeps what this run wrote: the new file's first 10 MiB, for run 3 to resume.
  const kept = await readFile(join(dst, PARTIAL))
  expect(kept.subarray(0, 10 << 20).equals(data.subarray(0, 10 << 20))).toBe(true)
}, 120_000)

it('a file made whole another way (a local copy) takes its partial away', async () => {
  const data = randomBytes(16 << 20)
  const { dst, url } = await served(data)
  expect((await stoppedPull(running, url, dst, { bytes: 5 << 20, signal: 'SIGINT' })).code).toBe(130)
  expect(await readdir(dst)).toEqual([PARTIAL])
  // The user copies the file from a disk that has it (local → local), instead of pulling it again.
  const usb = await tempDir()
  await writeFile(join(usb, 'big.bin'), data)
  const r = await runCli(['sync', usb, dst])
  expect(r.code, r.stderr).toBe(0)
  expect((await readFile(join(dst, 'big.bin'))).equals(data)).toBe(true)
  // The partial of a file that is now whole is of no use: a write that makes the file drops it.
  expect(await readdir(dst)).toEqual(['big.bin'])
}, 120_000)

it("a second job pulling the same file leaves the first job's write under way alone", async () => {
  const data = randomBytes(16 << 20)
  const { dst, url } = await served(data)
  // Job A (slowed) is writing big.bin: its temp file is also under the partial's name.
  const a = startCli(['sync', url, dst, '--bwlimit', '2M'])
  running.push(a)
  await expect.poll(() => biggestTemp(dst), { timeout: 30_000, interval: 20 }).toBeGreaterThan(3 << 20)
  // Job B (another job: the same server by another name) pulls the same file meanwhile.
  const b = await runCli(['sync', url.replace('127.0.0.1', 'localhost'), dst, '--json'])
  expect(b.code, b.stderr).toBe(0)
  expect((await readFile(join(dst, 'big.bin'))).equals(data)).toBe(true)
  // A write under way is no partial an interrupted run left: B neither resumes from it nor says
  // that "the partial of an interrupted transfer changed" and falls back (dropping A's second name).
  const notices = jsonLines(b.stdout)
    .filter((e) => e.type === 'notice')
    .map((e) => `${String(e.code)}: ${String(e.message)}`)
  expect(notices).toEqual([])
}, 120_000)

it('a partial that gives nothing of the new file is not said to be resumed from', async () => {
  const old = randomBytes(16 << 20)
  const { root, dst, url } = await served(old)
  expect((await stoppedPull(running, url, dst, { bytes: 6 << 20, signal: 'SIGINT' })).code).toBe(130)
  // The served big.bin is now another file: nothing of the partial is in it.
  const data = randomBytes(8 << 20)
  await writeFile(join(root, 'big.bin'), data)
  await utimes(join(root, 'big.bin'), new Date(), new Date(Date.now() + 5_000))
  const r = await runCli(['sync', url, dst, '--json'])
  expect(r.code, r.stderr).toBe(0)
  expect((await readFile(join(dst, 'big.bin'))).equals(data)).toBe(true)
  // "resumed … 0 of 8388608 bytes were here already": no resume took place, so none is said.
  const resumed = jsonLines(r.stdout).filter((e) => e.type === 'notice' && e.code === 'DOWNLOAD_RESUMED')
  expect(resumed).toEqual([])
}, 120_000)
