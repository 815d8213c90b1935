import { readdir } from 'node:fs/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  drainedEnv,
  EVENT_LOOP_EMPTY,
  jsonLines,
  killedAfterEach,
  readTree,
  startCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

const FILES = 400

// A Ctrl-C while `syncflow serve` had stopped answering (stalled: here SIGSTOP) with small files in
// its WriteMany stream: the run stopped, but closing the backend left that call open (grpc-js's
// close lets calls in flight run on), so the process stayed up until the binary's 3 s exit safety
// net; a library user's process, with no such net, for good.
it('SIGINT during a sync into a stalled server ends the process by itself (not by the exit safety net): exit 130, no partial file once the server goes on', async () => {
  const src = await tempDir()
  const root = await tempDir()
  const files: Record<string, string> = {}
  for (let i = 0; i < FILES; i++) files[`f${String(i).padStart(3, '0')}`] = `${i} `.repeat(500)
  await writeTree(src, files)
  const { server, port } = await startServe(root)
  running.push(server)
  // (Slowed down, so that the server stalls with most files still to go.)
  const run = startCli(['sync', src, `grpc://127.0.0.1:${port}/`, '--json', '--no-state', '--bwlimit', '200k'], {
    // (Says EVENT_LOOP_EMPTY only when it ends by itself, not by the exit safety net.)
    env: await drainedEnv(),
  })
  running.push(run)
  await expect.poll(async () => (await readdir(root)).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(20)
  server.child.kill('SIGSTOP')
  // Small files are sent, unanswered, until the run's window of them is in flight.
  await expect
    .poll(
      () =>
        jsonLines(run).filter((e) => e.type === 'started').length -
        jsonLines(run).filter((e) => e.type === 'completed').length,
      {
        timeout: 30_000,
      },
    )
    .toBeGreaterThan(0)
  run.child.kill('SIGINT')
  const r = await run.exited

  expect(r.code, r.stderr).toBe(130)
  expect(r.stderr).toContain(EVENT_LOOP_EMPTY)
  const done = jsonLines(r.stdout).at(-1) as { type: string; summary: { interrupted: boolean } }
  expect(done).toMatchObject({ type: 'done', summary: { interrupted: true } })

  // The server goes on: the files it was writing for the cancelled calls are not committed half-way
  // (a file there is whole), and their temp files go.
  server.child.kill('SIGCONT')
  await expect
    .poll(async () => (await readdir(root)).filter((n) => n.startsWith('.syncflow-tmp-')), { timeout: 20_000 })
    .toEqual([])
  for (const [name, content] of Object.entries(await readTree(root))) expect(content).toBe(files[name])
}, 120_000)
