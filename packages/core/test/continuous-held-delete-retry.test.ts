import { appendFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, afterEach, expect, it } from 'vitest'
import { type Change, type RelPath, SyncError, type SyncEvent } from '../src/index.js'
import {
  gatedCalls,
  local,
  localTarget,
  removeTempDirs,
  startJob,
  stopJobs,
  tempDirs,
  tree,
} from './continuous-local-helpers.js'

// A delete held back by a failed copy (a rename whose new name's copy fails: `mv a b` while b is
// written) goes with that copy's retry. Once the copy failed again in a cycle of its own (the new
// file's next change), the retry due for both ran the delete alone: the old name went while the
// new name's copy still failed, and the target held neither for as long as that lasted. Real
// local directories; the new name's read refused (CONFLICT, as a copy that races its writer is)
// for as long as the test says; hints given by the test.

afterAll(removeTempDirs)
afterEach(stopJobs)

const at = (events: readonly SyncEvent[], kind: string, path: string, type = 'completed'): number =>
  events.findIndex((e) => e.type === type && 'action' in e && e.action?.kind === kind && e.action.path === path)

it('keeps a delete held by a failed copy until that copy lands, when the copy fails again in a cycle of its own', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a'), 'start\n')
  let refusing = false
  const source = gatedCalls(
    local(src),
    ['read'],
    (path) => {
      if (path === 'b' && refusing)
        throw new SyncError('CONFLICT', 'the source file changed since it was listed', { op: 'fault.read', path })
    },
    { serverCopy: false },
  )
  const changes = new Subject<Change>()
  // (A quiet time long enough for the removal and the new name to share the first batch.)
  const job = startJob(source, localTarget(dst), {
    changes,
    batchQuietMs: 300,
    retryLaterMs: 200,
    retryLaterMaxMs: 2000,
  })
  await expect.poll(() => tree(dst)).toEqual({ a: 'start\n' })
  await expect.poll(() => job.cycles().length).toBe(1)

  refusing = true
  await writeFile(join(src, 'b'), 'start\nmore\n')
  await rm(join(src, 'a'))
  changes.next({ type: 'remove', path: 'a' as RelPath })
  changes.next({ type: 'upsert', path: 'b' as RelPath })
  // b's copy failed, and a's delete was held back for it.
  await expect.poll(() => at(job.events, 'delete', 'a', 'skipped'), { timeout: 10_000 }).toBeGreaterThanOrEqual(0)
  expect(at(job.events, 'delete', 'a')).toBe(-1)

  // b written again: its own cycle, whose copy fails too.
  const before = job.events.length
  await appendFile(join(src, 'b'), 'again\n')
  changes.next({ type: 'upsert', path: 'b' as RelPath })
  const triesAfter = () =>
    job.events.slice(before).filter((e) => e.type === 'done' && e.summary.mode !== 'watch' && e.trigger === 'retry')
      .length
  // Two retries later (the one due for both, then b's own), or a's delete ran.
  await expect.poll(() => triesAfter() >= 2 || at(job.events, 'delete', 'a') >= 0, { timeout: 15_000 }).toBe(true)
  expect(job.failures().slice(-1)[0]?.path).toBe('b')
  expect(at(job.events, 'delete', 'a')).toBe(-1)
  expect(Object.keys(await tree(dst))).toEqual(['a'])

  // b's copy lands: a goes with it, after it.
  refusing = false
  await expect.poll(() => tree(dst), { timeout: 15_000 }).toEqual({ b: 'start\nmore\nagain\n' })
  // (The file goes a moment before its `completed` event is out: waited for, not raced.)
  await expect.poll(() => at(job.events, 'delete', 'a'), { timeout: 5_000 }).toBeGreaterThanOrEqual(0)
  expect(at(job.events, 'delete', 'a')).toBeGreaterThan(at(job.events, 'copy', 'b'))
  const { summary } = await job.stop()
  expect(summary.deletesSuppressed).toBeUndefined()
})
