import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { type Backend, SyncError } from '../src/index.js'
import { gatedWrites, local, removeTempDirs, startJob, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

afterAll(removeTempDirs)
afterEach(stopJobs)

/** `b` with its writes below `locked/` refused for credentials (a bucket policy on one prefix). */
function lockedBelow(b: Backend, dir: string): Backend {
  return gatedWrites(b, (path) => {
    if (path.startsWith(`${dir}/`)) throw new SyncError('AUTH', 'AccessDenied', { path })
  })
}

// QA 32b: a cycle whose only changes lie below the refused prefix stopped as if the keys could write
// nowhere, and a stop in a later cycle ends the watch: the rest of the tree was no longer synced.
it('a watch whose cycle has only files below a refused prefix fails them and goes on syncing the rest', async () => {
  const { src, dst } = await tempDirs()
  await mkdir(join(src, 'locked'))
  const job = startJob(local(src), lockedBelow(local(dst), 'locked'), { rescanMs: 60_000, retries: 0 })
  await expect.poll(() => job.cycles().length, { timeout: 10_000 }).toBe(1)
  // Four files in one cycle, whatever the watch's timing: a directory made elsewhere, moved in
  // with one rename (written one by one, they could land in four cycles of one refusal each,
  // never the three in a row that stopped the run).
  const { src: staging } = await tempDirs()
  for (const n of ['a', 'b', 'c', 'd']) await writeFile(join(staging, n), n)
  await rename(staging, join(src, 'locked', 'batch'))
  const files = ['locked/batch/a', 'locked/batch/b', 'locked/batch/c', 'locked/batch/d']
  await expect.poll(() => files.every((f) => job.failures().some((e) => e.path === f)), { timeout: 10_000 }).toBe(true)
  expect(job.failures().every((f) => f.error.code === 'AUTH')).toBe(true)
  await writeFile(join(src, 'ok'), 'ok')
  await expect.poll(() => tree(dst), { timeout: 10_000 }).toMatchObject({ ok: 'ok' })
  expect(job.ended()).toBe(false)
})
