import { mkdir, rename, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import type { NoticeEvent } from '../src/index.js'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// QA 23 #1, #2: a source root renamed over, or a symlinked source root re-pointed, kept the old
// directory watched; what was written into the new one waited for the hourly rescan, silently.

afterAll(removeTempDirs)
afterEach(stopJobs)

const notices = (events: readonly { type: string }[]) =>
  events.filter((e): e is NoticeEvent => e.type === 'notice').filter((e) => e.code === 'SOURCE_ROOT_REPLACED')

it('a source root swapped by two renames is synced in full, with a notice, and watched from then on', async () => {
  const { src, dst } = await tempDirs()
  const base = dirname(src)
  await mkdir(join(src, 'keep'))
  await writeFile(join(src, 'keep', 'oldonly'), 'old')
  await writeFile(join(src, 'app'), 'one')
  await mkdir(join(base, 'src.new', 'keep'), { recursive: true })
  await writeFile(join(base, 'src.new', 'keep', 'newonly'), 'new')
  await writeFile(join(base, 'src.new', 'app'), 'two, longer')
  const job = start(local(src), local(dst))
  await expect.poll(async () => tree(dst)).toEqual({ app: 'one', 'keep/oldonly': 'old' })

  await rename(src, join(base, 'src.old'))
  await rename(join(base, 'src.new'), src)
  // A full sync: `keep/oldonly`, below a directory both trees have, had no event of its own.
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ app: 'two, longer', 'keep/newonly': 'new' })
  expect(notices(job.events).map((n) => n.message)).toEqual([expect.stringContaining(`${src} is another directory`)])
  expect(job.cycles().map((c) => c.trigger)).toContain('rescan')

  await writeFile(join(src, 'another'), 'x')
  await expect
    .poll(async () => tree(dst), { timeout: 10_000 })
    .toEqual({ app: 'two, longer', 'keep/newonly': 'new', another: 'x' })
  expect(job.failures()).toEqual([])
})

it('a symlinked source root re-pointed is synced from the directory it leads to now, and watched there', async () => {
  const { src, dst } = await tempDirs()
  const base = dirname(src)
  await mkdir(join(base, 'v1'))
  await mkdir(join(base, 'v2'))
  await writeFile(join(base, 'v1', 'app'), 'one')
  await writeFile(join(base, 'v2', 'app'), 'two, longer')
  await writeFile(join(base, 'v2', 'new'), 'new')
  const current = join(base, 'current')
  await symlink('v1', current)
  const job = start(local(current), local(dst))
  await expect.poll(async () => tree(dst)).toEqual({ app: 'one' })

  await symlink('v2', join(base, 'current.new'))
  await rename(join(base, 'current.new'), current)
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ app: 'two, longer', new: 'new' })
  expect(notices(job.events)).toHaveLength(1)

  await writeFile(join(base, 'v2', 'later'), 'l')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ app: 'two, longer', new: 'new', later: 'l' })
  expect(job.failures()).toEqual([])
})
