import { utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// QA 25d: `watch --min-age` left out a file written while watching, as it should, but no event
// came for it after: it waited for the next --rescan (an hour by default, never with --rescan 0).

afterAll(removeTempDirs)
afterEach(stopJobs)

it('a file left out by --min-age is copied once it is old enough, without a rescan', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'young-at-start'), 'y')
  const hourAgo = Date.now() / 1000 - 3600
  await writeFile(join(src, 'old'), 'o')
  await utimes(join(src, 'old'), hourAgo, hourAgo)
  // (rescanMs 0: no rescan but the ones the job asks for itself.)
  const job = start(local(src), local(dst), { minAgeMs: 1500 })
  await expect.poll(async () => (await tree(dst)).old, { timeout: 10_000 }).toBe('o')
  expect((await tree(dst))['young-at-start']).toBeUndefined()
  // The files the initial sync left out: a rescan once they are old enough.
  await expect.poll(async () => (await tree(dst))['young-at-start'], { timeout: 10_000 }).toBe('y')
  expect(job.cycles().map((c) => c.trigger)).toEqual(['initial', 'rescan'])
  // A file written while watching: left out by the cycle its event ran (which copied an old file
  // moved in beside it), then copied when old enough.
  await writeFile(join(src, 'written'), 'w')
  await writeFile(join(src, 'moved-in'), 'm')
  await utimes(join(src, 'moved-in'), hourAgo, hourAgo)
  await expect.poll(async () => (await tree(dst))['moved-in'], { timeout: 10_000 }).toBe('m')
  expect((await tree(dst)).written).toBeUndefined()
  await expect.poll(async () => (await tree(dst)).written, { timeout: 15_000 }).toBe('w')
  expect(job.cycles().map((c) => c.trigger)).not.toContain('retry')
})
