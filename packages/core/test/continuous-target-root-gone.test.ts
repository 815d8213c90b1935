import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import type { NoticeEvent } from '../src/index.js'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// QA 10 #2: the target root deleted under a watch. The next change re-created it holding only the
// changed file; the rest of the mirror stayed missing until the hourly rescan, and nothing said so.

afterAll(removeTempDirs)
afterEach(stopJobs)

/** A watch of a source with two files, once they are in the target. */
async function watchingTwoFiles() {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  await writeFile(join(src, 'b.txt'), 'beta')
  const job = start(local(src), local(dst))
  const all = { 'a.txt': 'alpha', 'b.txt': 'beta' }
  await expect.poll(async () => tree(dst)).toEqual(all)
  return { src, dst, job, all }
}

const notices = (events: readonly { type: string }[]) =>
  events.filter((e): e is NoticeEvent => e.type === 'notice').map((e) => e.code)

it('a target root deleted while watching gets the whole tree back at the next change, with a notice saying why', async () => {
  const { src, dst } = await tempDirs()
  await mkdir(join(src, 'sub'))
  await writeFile(join(src, 'a.txt'), 'alpha')
  await writeFile(join(src, 'b.txt'), 'beta')
  await writeFile(join(src, 'sub', 'c.txt'), 'gamma')
  const job = start(local(src), local(dst))
  const all = { 'a.txt': 'alpha', 'b.txt': 'beta', 'sub/c.txt': 'gamma' }
  await expect.poll(async () => tree(dst)).toEqual(all)
  await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)

  await rm(dst, { recursive: true })
  await writeFile(join(src, 'n.txt'), 'new')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ ...all, 'n.txt': 'new' })
  expect(notices(job.events)).toContain('TARGET_ROOT_MISSING')
  // It ran as a full sync, and says so.
  expect(job.cycles().map((c) => c.trigger)).toContain('rescan')
})

it('a watch of an empty source into a target that does not exist yet takes its first file without that notice', async () => {
  const { src, dst } = await tempDirs()
  await rm(dst, { recursive: true })
  const job = start(local(src), local(dst))
  await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)
  await writeFile(join(src, 'a.txt'), 'alpha')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ 'a.txt': 'alpha' })
  expect(notices(job.events)).not.toContain('TARGET_ROOT_MISSING')
})

// Stop 23's open end: a target root renamed away and made anew (or a symlinked root re-pointed) was
// taken for the one synced into: the next changes went into a directory holding none of the mirror.
it('a target root replaced by another directory gets the whole tree at the next change, with a notice saying why', async () => {
  const { src, dst, job, all } = await watchingTwoFiles()
  await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)

  await rename(dst, `${dst}.old`)
  await mkdir(dst)
  await writeFile(join(src, 'n.txt'), 'new')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ ...all, 'n.txt': 'new' })
  expect(notices(job.events)).toContain('TARGET_ROOT_REPLACED')
  expect(notices(job.events)).not.toContain('TARGET_ROOT_MISSING')
  expect(await tree(`${dst}.old`)).toEqual(all)
  await rm(`${dst}.old`, { recursive: true })
})

// QA 24b #1: a symlinked target root re-pointed while watching: noticed, but the writes went on into
// the old directory through the backend's cached real path.
it('a symlinked target root re-pointed gets the whole tree, and nothing more goes to the old directory', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  const [d1, d2] = [`${dst}-d1`, `${dst}-d2`]
  await Promise.all([mkdir(d1), mkdir(d2)])
  const link = `${dst}-link`
  await symlink(d1, link)
  const job = start(local(src), local(link))
  await expect.poll(async () => tree(d1)).toEqual({ 'a.txt': 'alpha' })
  await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)

  await rm(link)
  await symlink(d2, link)
  await writeFile(join(src, 'n.txt'), 'new')
  await expect.poll(async () => tree(d2), { timeout: 10_000 }).toEqual({ 'a.txt': 'alpha', 'n.txt': 'new' })
  expect(await tree(d1)).toEqual({ 'a.txt': 'alpha' })
  expect(notices(job.events)).toContain('TARGET_ROOT_REPLACED')
  expect(job.events.filter((e) => e.type === 'failed')).toEqual([])
  await Promise.all([rm(d1, { recursive: true }), rm(d2, { recursive: true }), rm(link)])
})

// QA 25c #6: the full sync asked for by a lost root failed (a file stood at its path), and the next
// change then re-created the root holding only the changed file, as before QA 10 #2.
it('a target root whose full sync failed gets the whole tree at the next change that can write it', async () => {
  const { src, dst, job, all } = await watchingTwoFiles()

  await rm(dst, { recursive: true })
  await writeFile(dst, 'a file where the target was')
  await writeFile(join(src, 'x.txt'), 'x')
  await expect.poll(() => job.cycles().at(-1)?.summary.fatal?.code, { timeout: 10_000 }).toBe('CONFLICT')
  expect(notices(job.events)).toContain('TARGET_ROOT_MISSING')

  await rm(dst)
  await writeFile(join(src, 'y.txt'), 'y')
  await expect
    .poll(async () => tree(dst).catch(() => ({})), { timeout: 10_000 })
    .toEqual({ ...all, 'x.txt': 'x', 'y.txt': 'y' })
})
