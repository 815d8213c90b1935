import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  killedAfterEach,
  readTree,
  startCli,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// Review of watch: a build that empties its output directory, then writes the new build into it
// (`rm -rf dist/*`, a second of compiling, new hashed names) left the old build's files in the
// mirror: the cycle that found the source empty refused its deletes (rightly), and they then waited
// for the next --rescan (an hour by default, never with --rescan 0) although the source held files
// again a moment later. A one-shot `sync` run then deletes them.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

it('deletes held back while the source was empty run once it holds files again', async () => {
  const root = await tempDir('syncflow-watch-empty-')
  const src = join(root, 'dist')
  const dst = join(root, 'dst')
  await writeTree(src, { 'index.html': 'old', 'assets/app.111.js': 'o1', 'assets/app.111.css': 'o2' })
  const r = startCli(['watch', '--json', '--rescan', '0', src, dst], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  const cycles = () => jsonLines(r).filter((e) => e.type === 'done').length
  await expect.poll(cycles, { timeout: 20_000 }).toBeGreaterThanOrEqual(1)

  await rm(join(src, 'index.html'))
  await rm(join(src, 'assets'), { recursive: true })
  await expect
    .poll(() => jsonLines(r).some((e) => e.type === 'notice' && e.code === 'EMPTY_SOURCE'), { timeout: 10_000 })
    .toBe(true)
  expect(await readTree(dst)).toEqual({ 'index.html': 'old', 'assets/app.111.js': 'o1', 'assets/app.111.css': 'o2' })

  await writeTree(src, { 'index.html': 'new!', 'assets/app.222.js': 'n1', 'assets/app.222.css': 'n2' })
  await expect
    .poll(() => readTree(dst), { timeout: 10_000 })
    .toEqual({ 'index.html': 'new!', 'assets/app.222.js': 'n1', 'assets/app.222.css': 'n2' })
  r.child.kill('SIGINT')
  const end = await r.exited
  expect(end.code, end.stderr).toBe(130)
  const last = jsonLines(end.stdout).at(-1) as { type: string; summary: Record<string, unknown> }
  expect(last.summary.deletesSuppressed).toBeUndefined()
})
