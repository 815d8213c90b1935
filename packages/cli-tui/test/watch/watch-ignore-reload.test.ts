import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import {
  buildCli,
  cleanupTempDirs,
  jsonLines,
  type RunningCli,
  readTree,
  startCli,
  tempDir,
  writeTree,
} from '../helpers/cli.js'

// QA 10 #5: `watch` read `.syncflowignore` once, at the start: a directory excluded while it ran was
// copied right after (a secret put in it), and a pattern removed did not bring its files, not even at a rescan.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running: RunningCli[] = []
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.child.kill('SIGKILL')
    await r.exited.catch(() => {})
  }
})

it('a .syncflowignore changed while watching applies from then on: newly excluded paths are not copied, newly included ones are', async () => {
  const root = await tempDir('syncflow-watch-ignore-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await mkdir(src)
  await writeTree(src, { 'a.log': 'log', 'b.txt': 'b', '.syncflowignore': '*.log\n' })
  // No periodic rescan: the change of the file alone must do it.
  const r = startCli(['watch', '--json', '--rescan', '0', src, dst], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  const events = () => jsonLines(r.stdout())
  await expect
    .poll(() => events().filter((e) => e.type === 'done').length, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(1)
  expect(await readTree(dst)).toEqual({ 'b.txt': 'b', '.syncflowignore': '*.log\n' })

  await writeTree(src, { '.syncflowignore': 'secret/\n' })
  await expect
    .poll(() => events().some((e) => e.type === 'notice' && e.code === 'IGNORE_RULES_CHANGED'), { timeout: 10_000 })
    .toBe(true)
  await writeTree(src, { 'secret/pw.txt': 'hunter2' })
  await writeTree(src, { 'late.txt': 'after the secret' })
  await expect
    .poll(() => readTree(dst), { timeout: 10_000 })
    .toEqual({ 'a.log': 'log', 'b.txt': 'b', 'late.txt': 'after the secret', '.syncflowignore': 'secret/\n' })
  expect(r.stderr()).toBe('')
})
