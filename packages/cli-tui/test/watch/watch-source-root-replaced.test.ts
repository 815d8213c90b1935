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
    .poll(() => jsonLines(r.stdout()).filter((e) => e.type === 'done').length, { timeout: 20_000 })
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
  const notice = jsonLines(r.stdout()).find((e) => e.type === 'notice' && e.code === 'SOURCE_ROOT_REPLACED')
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
  expect(jsonLines(r.stdout()).filter((e) => e.type === 'notice' && e.code === 'SOURCE_ROOT_REPLACED')).toHaveLength(1)
  expect(r.stderr()).toBe('')
})
