import { randomBytes } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { partialPathOf } from '@syncflow/backend-local'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  runCli,
  startCli,
  startServe,
  tempDir,
} from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const SIZE = 24 << 20

// rsync --partial: a push of a big file to a `syncflow serve` killed midway (kill -9: no goodbye)
// leaves what the server got as the file's partial, and the next run sends only the rest.
it('a push killed midway is resumed by the next run: only the rest is sent, and the file is whole', async () => {
  const src = await tempDir()
  const root = await tempDir()
  const state = join(await tempDir(), 'state.db')
  const data = randomBytes(SIZE)
  await writeFile(join(src, 'big.bin'), data)
  const { server, port } = await startServe(root)
  running.push(server)
  const url = `grpc://127.0.0.1:${port}/`
  // (Slowed down, so that the kill lands in the middle of the upload.)
  const run = startCli(['sync', src, url, '--state', state, '--bwlimit', '8M'])
  running.push(run)
  const partial = partialPathOf('big.bin')
  // The server writes what comes into a temp file; once several MiB are in, the client is killed.
  await expect
    .poll(
      async () => {
        const names = await readdir(root)
        return names.length === 1 ? (await readFile(join(root, names[0]!))).length : 0
      },
      { timeout: 30_000 },
    )
    .toBeGreaterThan(6 << 20)
  run.child.kill('SIGKILL')
  await run.exited
  // What came is kept under the file's partial name (never listed: `ls` shows nothing).
  await expect.poll(() => readdir(root), { timeout: 10_000 }).toEqual([partial])
  const kept = (await readFile(join(root, partial))).length
  expect(kept).toBeGreaterThan(6 << 20)
  const ls = await runCli(['ls', url])
  expect(ls.code).toBe(0)
  expect(ls.stdout.trim()).toBe('')

  const again = await runCli(['sync', src, url, '--state', state, '--json'])
  expect(again.code).toBe(0)
  const events = jsonLines(again.stdout)
  const resumed = events.find((e) => e.type === 'notice' && e.code === 'UPLOAD_RESUMED') as unknown as {
    message: string
  }
  expect(resumed.message).toMatch(/^resumed the upload of big\.bin that an interrupted run began: \d+ of \d+ bytes/)
  const reused = Number(/: (\d+) of/.exec(resumed.message)?.[1])
  expect(reused).toBeGreaterThan(kept - (1 << 20))
  // What crossed the wire is what the summary counts: the rest, not the file.
  const done = events.at(-1) as { type: string; summary: { bytesTransferred: number } }
  expect(done.summary.bytesTransferred).toBeLessThan(SIZE - kept + (1 << 20))
  expect((await readFile(join(root, 'big.bin'))).equals(data)).toBe(true)
  expect(await readdir(root)).toEqual(['big.bin'])
}, 120_000)
