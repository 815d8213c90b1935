import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// The watched source root deleted (a disk unmounted) and put back, on real local directories.

afterAll(removeTempDirs)
afterEach(stopJobs)

it('a source root that is gone is reported as a failure (not a healthy idle job), nothing is deleted, and syncing resumes once it is back', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  const job = start(local(src), local(dst))
  await expect.poll(async () => tree(dst)).toEqual({ 'a.txt': 'alpha' })

  await rm(src, { recursive: true })
  await expect
    .poll(() => job.failures().map((f) => f.error.message), { timeout: 10_000 })
    .toContainEqual(expect.stringContaining('is gone'))
  expect(await tree(dst)).toEqual({ 'a.txt': 'alpha' })

  await mkdir(src)
  await writeFile(join(src, 'a.txt'), 'alpha')
  await writeFile(join(src, 'b.txt'), 'back')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ 'a.txt': 'alpha', 'b.txt': 'back' })
})
