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

// QA 25c #4: once the root was back, the job went on polling it for good (a full listing every
// few seconds, each change seen that late) instead of watching it again.
it('watches a source root again once it is back, instead of polling it for good', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  const source = local(src)
  let watches = 0
  const counted = new Proxy(source, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (prop === 'watch') watches++
        return value.apply(t, args)
      }
    },
  })
  const job = start(counted, local(dst))
  await expect.poll(async () => tree(dst)).toEqual({ 'a.txt': 'alpha' })
  expect(watches).toBe(1)

  await rm(src, { recursive: true })
  await expect
    .poll(() => job.failures().map((f) => f.error.message), { timeout: 10_000 })
    .toContainEqual(expect.stringContaining('is gone'))
  await mkdir(src)
  await writeFile(join(src, 'b.txt'), 'back')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ 'b.txt': 'back' })
  await expect.poll(() => watches, { timeout: 10_000 }).toBe(2)
  // And its events are heard.
  await writeFile(join(src, 'c.txt'), 'event')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ 'b.txt': 'back', 'c.txt': 'event' })
})
