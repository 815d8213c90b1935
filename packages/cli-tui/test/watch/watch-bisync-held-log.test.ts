import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { buildCli, cleanupTempDirs, killedAfterEach, readTree, startCli, tempDir, writeTree } from '../helpers/cli.js'

// Review of watch: `watch A s3://… --bisync` whose deletes --max-delete held printed the same note
// and a `#n: 10 skipped` line at every pass, every 2 s (its poll), for as long as it ran: each
// pass is a whole bisync, which finds the held deletes again. The same with --rescan passes here.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

it('a two-way watch says held deletes once, not again at each pass that finds them held again', async () => {
  const root = await tempDir('syncflow-watch-bisync-held-')
  const A = join(root, 'a')
  const B = join(root, 'b')
  const files = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`d/f${i}`, `${i}`]))
  await writeTree(A, { ...files, keep: 'k' })
  await mkdir(B)
  const r = startCli(['watch', '--bisync', '--rescan', '1s', A, B], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  await expect.poll(() => r.stderr(), { timeout: 20_000 }).toMatch(/initial sync/)
  await rm(join(A, 'd'), { recursive: true })
  const note = /note: 6 deletes \(85\.7% of B's 7 files\) exceed --max-delete 50%: none run/g
  await expect.poll(() => r.stderr().match(note)?.length ?? 0, { timeout: 10_000 }).toBe(1)
  // Passes at each --rescan (1 s): three or more find the deletes held again.
  await new Promise((resolve) => setTimeout(resolve, 3500))
  expect(r.stderr().match(note)).toHaveLength(1)
  expect(r.stderr().match(/#\d+: 7 skipped/g)).toHaveLength(1)
  expect(await readTree(B)).toEqual({ ...files, keep: 'k' })
  r.child.kill('SIGINT')
  const end = await r.exited
  expect(end.code).toBe(130)
  expect(end.stderr).toMatch(/Deletes suppressed: 6 deletes .* exceed --max-delete 50%/)
}, 60_000)
