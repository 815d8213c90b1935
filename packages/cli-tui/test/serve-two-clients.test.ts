import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  runCli,
  startCli,
  startServe,
  tempDir,
  writeTree,
} from './helpers/cli.js'

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

/** `n` small files and two of 1 MiB (Writes of their own), the same names on both sides, each side's bytes its own letter. */
function treeOf(letter: string, n: number): Record<string, string> {
  const files: Record<string, string> = {}
  for (let i = 0; i < n; i++) files[`d${i % 4}/f${String(i).padStart(3, '0')}`] = letter.repeat(1000 + 7 * i)
  for (const big of ['big1', 'big2']) files[big] = letter.repeat(1 << 20)
  files[`only-${letter}`] = letter
  return files
}

// Two mirrors into one `syncflow serve` directory at once (two hosts, two jobs: no job lock is
// shared), each with its own bytes under the same names: what rsync users expect is no corrupted or
// partial file, and a clear error rather than a file lost. Each write is atomic and re-checked on the
// server against the run's listing, so the second writer of a path fails CONFLICT and leaves the
// first's file as it is.
it('two syncs into one serve root at once: every file is whole (one run’s or the other’s), the loser of each path fails CONFLICT, and a run again converges', async () => {
  const a = treeOf('A', 300)
  const b = treeOf('B', 300)
  const srcA = await tempDir()
  const srcB = await tempDir()
  await writeTree(srcA, a)
  await writeTree(srcB, b)
  const root = await tempDir()
  const { server, port } = await startServe(root)
  running.push(server)
  const url = `grpc://127.0.0.1:${port}/dst`
  const runA = startCli(['sync', srcA, url, '--json', '--no-state'])
  const runB = startCli(['sync', srcB, url, '--json', '--no-state'])
  running.push(runA, runB)
  const [ra, rb] = await Promise.all([runA.exited, runB.exited])

  for (const r of [ra, rb]) {
    expect([0, 1], r.stderr).toContain(r.code)
    const failed = jsonLines(r.stdout).filter((e) => e.type === 'failed') as unknown as { error: { code: string } }[]
    expect(new Set(failed.map((f) => f.error.code))).toEqual(new Set(failed.length > 0 ? ['CONFLICT'] : []))
  }
  const target = await readTree(join(root, 'dst'))
  expect(Object.keys(target).filter((p) => p.includes('.syncflow-tmp-'))).toEqual([])
  for (const [path, content] of Object.entries(target)) expect([a[path], b[path]]).toContain(content)

  const again = await runCli(['sync', srcA, url, '--json', '--no-state'])
  expect(again.code, again.stderr).toBe(0)
  expect(await readTree(join(root, 'dst'))).toEqual(a)
}, 120_000)
