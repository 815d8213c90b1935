import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { type Backend, type DoneEvent, SyncError } from '../src/index.js'
import { gatedWrites, local, removeTempDirs, startJob, stopJobs, tempDirs } from './continuous-local-helpers.js'

afterAll(removeTempDirs)
afterEach(stopJobs)

/** `b` with its writes refused for credentials while `state.refuse` (a key made read-only). */
function refusing(b: Backend) {
  const state = { refuse: false }
  const backend = gatedWrites(b, (path) => {
    if (state.refuse) throw new SyncError('AUTH', 'AccessDenied', { path })
  })
  return { backend, state }
}

// Review of the AUTH stop (not an item): a watch job still counted each cycle's stop as a failure,
// then took it back at each rescan, so its total drifted down, below zero (`failed: -1`, no AUTH).
// The stop now ends the job, in any cycle as in the first: its total counts the files refused.
it('a watch whose cycle stops for AUTH ends with it, and counts the files refused, not the stop', async () => {
  const { src, dst } = await tempDirs()
  const target = refusing(local(dst))
  const job = startJob(local(src), target.backend, { rescanMs: 300, retries: 0 })
  await expect.poll(() => job.cycles().length, { timeout: 10_000 }).toBe(1)
  target.state.refuse = true
  for (const n of ['a', 'b', 'c', 'd']) await writeFile(join(src, n), n)
  await expect.poll(() => job.ended(), { timeout: 10_000 }).toBe(true)
  const stops = job.failures().filter((f) => f.path === '' && f.stage === 'transfer')
  expect(stops).toHaveLength(1)
  const refused = new Set(job.failures().map((f) => f.path))
  refused.delete('')
  const done = job.events.at(-1) as DoneEvent
  expect(done.summary.fatal).toMatchObject({ code: 'AUTH', message: stops[0]?.error.message })
  expect(done.summary.failed).toBe(refused.size)
  expect(done.summary.errorCodes).toEqual({ AUTH: refused.size })
})
