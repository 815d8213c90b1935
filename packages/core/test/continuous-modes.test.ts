import { chmod, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// A permissions-only change is a change (rsync -a carries it), on real local directories.

afterAll(removeTempDirs)
afterEach(stopJobs)

it('a chmod of a synced file is carried over at once, not at the next rescan', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'secret.txt'), 'keys')
  await chmod(join(src, 'secret.txt'), 0o644)
  const job = start(local(src), local(dst)) // rescans off: only the event can carry it
  await expect.poll(async () => tree(dst)).toEqual({ 'secret.txt': 'keys' })
  const mode = async () => (await stat(join(dst, 'secret.txt'))).mode & 0o777
  expect(await mode()).toBe(0o644)
  await chmod(join(src, 'secret.txt'), 0o600)
  await expect.poll(mode, { timeout: 5000 }).toBe(0o600)
  expect(job.failures()).toEqual([])
})
