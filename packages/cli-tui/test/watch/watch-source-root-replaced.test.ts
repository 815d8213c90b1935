import { rename, symlink } from 'node:fs/promises'
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

// QA 23 #1, #2: `watch` of a source root swapped by rename (a deploy's `mv src.new src`), or given as
// a symlink re-pointed (`current -> releases/v2`), kept watching the old directory: the new one's
// files waited for the hourly rescan, and nothing was said.

beforeAll(() => buildCli())
afterAll(() => cleanupTempDirs())
const running = killedAfterEach()

async function watchJob(src: string, dst: string, root: string) {
  // No periodic rescan: the swap alone must bring the new tree.
  const r = startCli(['watch', '--json', '--rescan', '0', src, dst], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  await expect
    .poll(() => jsonLines(r).filter((e) => e.type === 'done').length, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(1)
  return r
}

it('a source root swapped by two renames: a full sync with a notice, then the new root is watched', async () => {
  const root = await tempDir('syncflow-watch-swap-')
  const src = join(root, 'src')
  const dst = join(root, 'dst')
  await writeTree(src, { app: 'one', oldonly: 'old' })
  await writeTree(join(root, 'src.new'), { app: 'two, longer', newonly: 'new' })
  const r = await watchJob(src, dst, root)
  expect(await readTree(dst)).toEqual({ app: 'one', oldonly: 'old' })

  await rename(src, join(root, 'src.old'))
  await rename(join(root, 'src.new'), src)
  await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ app: 'two, longer', newonly: 'new' })
  await writeTree(src, { another: 'x' })
  await expect
    .poll(() => readTree(dst), { timeout: 10_000 })
    .toEqual({ app: 'two, longer', newonly: 'new', another: 'x' })
  const notice = jsonLines(r).find((e) => e.type === 'notice' && e.code === 'SOURCE_ROOT_REPLACED')
  expect(notice?.message).toBe(
    `${src} is another directory now (replaced by a rename?): watching it afresh and running a full sync`,
  )
  r.child.kill('SIGINT')
  const end = await r.exited
  expect(end.code, end.stderr).toBe(130)
})

it('a source given as a symlink, re-pointed: synced from, and watched in, the directory it leads to now', async () => {
  const root = await tempDir('syncflow-watch-link-')
  const dst = join(root, 'dst')
  await writeTree(join(root, 'releases', 'v1'), { app: 'one' })
  await writeTree(join(root, 'releases', 'v2'), { app: 'two, longer', new: 'new' })
  const current = join(root, 'current')
  await symlink(join('releases', 'v1'), current)
  const r = await watchJob(current, dst, root)
  expect(await readTree(dst)).toEqual({ app: 'one' })

  // `ln -s releases/v2 current.new; mv -T current.new current`
  await symlink(join('releases', 'v2'), join(root, 'current.new'))
  await rename(join(root, 'current.new'), current)
  await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ app: 'two, longer', new: 'new' })
  await writeTree(join(root, 'releases', 'v2'), { later: 'l' })
  await expect.poll(() => readTree(dst), { timeout: 10_000 }).toEqual({ app: 'two, longer', new: 'new', later: 'l' })
  expect(jsonLines(r).filter((e) => e.type === 'notice' && e.code === 'SOURCE_ROOT_REPLACED')).toHaveLength(1)
  expect(r.stderr()).toBe('')
})

// Review 25 F7: the overlap check ran once, at the start. A source symlink re-pointed into the target
// while watching had the full sync that followed mirror the target's own subdirectory into the target,
// deleting everything else there, that subdirectory (the new source) included.
it('a source symlink re-pointed into the target ends the job (exit 2) before its full sync deletes anything', async () => {
  const root = await tempDir('syncflow-watch-into-')
  const p = join(root, 'p')
  await writeTree(join(p, '.old'), { 'sub/b': 'kept version' })
  const cur = join(root, 'cur')
  await symlink(join(p, '.old'), cur)
  const r = startCli(['watch', '--json', '--rescan', '0', cur, p, '--exclude', '/.old'], {
    env: { SYNCFLOW_STATE_DIR: join(root, 'state') },
  })
  running.push(r)
  await expect
    .poll(() => readTree(p), { timeout: 20_000 })
    .toEqual({ 'sub/b': 'kept version', '.old/sub/b': 'kept version' })
  await writeTree(p, { 'sub/more': 'written in the target' })
  await symlink(join(p, 'sub'), join(root, 'cur.new'))
  await rename(join(root, 'cur.new'), cur)
  const end = await r.exited
  expect(end.code, end.stderr).toBe(2)
  expect(end.stderr).toContain('overlap: the source is inside the target')
  expect(await readTree(p)).toEqual({
    'sub/b': 'kept version',
    'sub/more': 'written in the target',
    '.old/sub/b': 'kept version',
  })
  const done = jsonLines(r)
    .filter((e) => e.type === 'done')
    .at(-1)
  expect(JSON.stringify(done?.summary)).toContain('"fatal":{"code":"USAGE"')
})
