import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { partialPathOf } from '@syncflow/backend-local'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, jsonLines, killedAfterEach, runCli } from './helpers/cli.js'
import { servedBig, stoppedPull } from './helpers/pulls.js'

// rsync --partial, the other way: a pull of a big new file from a `syncflow serve` into a local
// directory, stopped midway, keeps what it had written as the file's partial, and the next run
// fetches only what the partial lacks (a delta patched onto it, checked whole).

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const SIZE = 16 << 20

const served = (data: Buffer) => servedBig(data, running)

/** The re-run's DOWNLOAD_RESUMED notice (its message) and the bytes its summary says were transferred. */
function resumedRun(stdout: string): { message: string | undefined; transferred: number } {
  const events = jsonLines(stdout)
  const notice = events.find((e) => e.type === 'notice' && e.code === 'DOWNLOAD_RESUMED') as
    | { message: string }
    | undefined
  const done = events.at(-1) as { type: string; summary: { bytesTransferred: number } }
  expect(done.type).toBe('done')
  return { message: notice?.message, transferred: done.summary.bytesTransferred }
}

it('Ctrl-C of a pull keeps its partial; the next run fetches only the rest, and the file is whole', async () => {
  const data = randomBytes(SIZE)
  const { dst, url } = await served(data)
  const partial = partialPathOf('big.bin')
  const r = await stoppedPull(running, url, dst, { bwlimit: '8M', bytes: 5 << 20, signal: 'SIGINT' })
  expect(r.code).toBe(130)
  // What came is kept under the file's partial name (never listed), and nothing else.
  expect(await readdir(dst)).toEqual([partial])
  const kept = (await stat(join(dst, partial))).size
  expect(kept).toBeGreaterThan(5 << 20)
  expect(kept).toBeLessThan(SIZE)
  // Said as a stopped upload says it.
  expect(r.stderr).toContain(
    `note: download of big.bin kept for resume (${kept} of ${SIZE} bytes written): the next run fetches the rest`,
  )

  const again = await runCli(['sync', url, dst, '--json'])
  expect(again.code, again.stderr).toBe(0)
  const { message, transferred } = resumedRun(again.stdout)
  expect(message).toMatch(
    /^resumed the download of big\.bin from a partial of [\d.]+ MiB an interrupted run left: \d+ of 16777216 bytes were here already/,
  )
  const reused = Number(/: (\d+) of/.exec(message ?? '')?.[1])
  expect(reused).toBeGreaterThan(kept - (1 << 20))
  // What crossed the wire is what the summary counts: the rest, not the file.
  expect(transferred).toBeLessThan(SIZE - kept + (1 << 20))
  expect((await readFile(join(dst, 'big.bin'))).equals(data)).toBe(true)
  expect(await readdir(dst)).toEqual(['big.bin'])
}, 120_000)

it('a pull killed midway (SIGKILL) leaves its partial for the next run, which resumes from it', async () => {
  const data = randomBytes(SIZE)
  const { dst, url } = await served(data)
  const partial = partialPathOf('big.bin')
  const r = await stoppedPull(running, url, dst, { bwlimit: '8M', bytes: 5 << 20, signal: 'SIGKILL' })
  expect(r.signal).toBe('SIGKILL')
  // The killed run's temp file is left, and under the partial's name too (a second name of it).
  const names = await readdir(dst)
  expect(names).toContain(partial)
  expect(names).toHaveLength(2)
  const kept = (await stat(join(dst, partial))).size
  expect(kept).toBeGreaterThan(5 << 20)
  expect(kept).toBeLessThan(SIZE)

  // Human output: the note a user sees.
  const again = await runCli(['sync', url, dst])
  expect(again.code, again.stderr).toBe(0)
  expect(again.stderr).toMatch(
    /note: resumed the download of big\.bin from a partial of [\d.]+ MiB an interrupted run left/,
  )
  expect((await readFile(join(dst, 'big.bin'))).equals(data)).toBe(true)
  // The dead run's temp file went as stale, the partial once used.
  expect(await readdir(dst)).toEqual(['big.bin'])
}, 120_000)

it('a source changed between the runs: the resumed file has the new bytes', async () => {
  const data = randomBytes(SIZE)
  const { root, dst, url } = await served(data)
  const partial = partialPathOf('big.bin')
  const r = await stoppedPull(running, url, dst, { bwlimit: '8M', bytes: 5 << 20, signal: 'SIGINT' })
  expect(r.code).toBe(130)
  expect(await readdir(dst)).toEqual([partial])
  // Its first MiB rewritten, the rest as it was: what the partial holds of it mostly still matches.
  const changed = Buffer.concat([randomBytes(1 << 20), data.subarray(1 << 20)])
  await writeFile(join(root, 'big.bin'), changed)
  await utimes(join(root, 'big.bin'), new Date(), new Date(Date.now() + 5_000))

  const again = await runCli(['sync', url, dst, '--json'])
  expect(again.code, again.stderr).toBe(0)
  const { transferred } = resumedRun(again.stdout)
  expect(transferred).toBeLessThan(SIZE)
  expect((await readFile(join(dst, 'big.bin'))).equals(changed)).toBe(true)
  expect(await readdir(dst)).toEqual(['big.bin'])
}, 120_000)

it('a pull stopped before 1 MiB keeps no partial', async () => {
  const { dst, url } = await served(randomBytes(SIZE))
  // Stopped as soon as its temp file is there: the local write puts its bytes on disk a MiB at a
  // time, so it holds less than one (slowed to 128 KiB/s, the first MiB takes seconds).
  const r = await stoppedPull(running, url, dst, { bwlimit: '128K', bytes: -1, signal: 'SIGINT' })
  expect(r.code).toBe(130)
  expect(await readdir(dst)).toEqual([])
  expect(r.stderr).not.toContain('kept for resume')
}, 120_000)
