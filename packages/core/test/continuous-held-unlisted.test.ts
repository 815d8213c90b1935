import { chmod, mkdir, rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type Backend, type Change, type RelPath, SyncError } from '../src/index.js'
import {
  gatedCalls,
  gatedWrites,
  local,
  removeTempDirs,
  startJob,
  stopJobs,
  tempDirs,
  tree,
} from './continuous-local-helpers.js'

// A delete held back by a failure stays counted (the job's closing "Deletes suppressed") until a
// cycle runs it or looks at its path and finds nothing to delete. A cycle over a directory took
// every held delete below it for looked at: one whose stat of that directory failed (a permission
// error, a server gone) or that only stated it (its mode changed, both sides a directory: nothing
// below is listed) "released" them, and the closing summary stopped saying deletes were suppressed
// while the target still held the file. Real local directories; the failures injected on top.

afterAll(removeTempDirs)
afterEach(stopJobs)

/**
 * A job whose `d/old.txt` delete is held back for good: removed in the source in the same cycle
 * as `bad.txt` changed, whose write the target refuses with a code no later try can fix (a name
 * too long there), so no retry runs the delete either. Then `d` is said changed.
 */
async function heldBelowDir(sourceOf: (src: string) => Backend) {
  const { src, dst } = await tempDirs()
  await mkdir(join(src, 'd'))
  await writeFile(join(src, 'd', 'old.txt'), 'to be removed')
  await writeFile(join(src, 'bad.txt'), 'v1')
  const target = gatedWrites(local(dst), (path) => {
    if (path === 'bad.txt' && refusing) {
      throw new SyncError('INVALID_PATH', `INVALID_PATH: fault.write (${path})`, { op: 'fault.write', path })
    }
  })
  let refusing = false
  const changes = new Subject<Change>()
  const job = startJob(sourceOf(src), target, { changes, batchQuietMs: 200 })
  await expect.poll(() => tree(dst)).toEqual({ 'bad.txt': 'v1', 'd/old.txt': 'to be removed' })
  await expect.poll(() => job.cycles().length).toBe(1)

  refusing = true
  await writeFile(join(src, 'bad.txt'), 'v2, longer')
  await utimes(join(src, 'bad.txt'), new Date(), new Date(Date.now() - 60_000)) // settled: no stability wait
  await rm(join(src, 'd', 'old.txt'))
  changes.next({ type: 'upsert', path: 'bad.txt' as RelPath })
  changes.next({ type: 'remove', path: 'd/old.txt' as RelPath })
  await expect.poll(() => job.cycles().some((c) => c.summary.deletesSuppressed !== undefined)).toBe(true)
  return { src, dst, changes, job }
}

describe('continuousSync and a held delete below a directory a later cycle did not list', () => {
  it('stays held when the cycle over its directory failed to state it', async () => {
    let denied = false
    const { src, dst, changes, job } = await heldBelowDir((src) =>
      gatedCalls(local(src), ['stat'], (path) => {
        if (path === 'd' && denied) throw new SyncError('PERMISSION', `PERMISSION: fault.stat (${path})`, { path })
      }),
    )
    const cycles = job.cycles().length
    denied = true
    await chmod(join(src, 'd'), 0o700)
    changes.next({ type: 'upsert', path: 'd' as RelPath })
    await expect.poll(() => job.failures().some((f) => f.path === 'd')).toBe(true)
    await expect.poll(() => job.cycles().length).toBeGreaterThan(cycles)

    const { summary } = await job.stop()
    // The delete never ran: the summary still says so.
    expect(Object.keys(await tree(dst)).sort()).toEqual(['bad.txt', 'd/old.txt'])
    expect(summary.deletesSuppressed).toBeDefined()
    expect(summary.skipped).toBe(1)
  })

  it('stays held when the cycle over its directory only stated it (both sides a directory)', async () => {
    const { src, dst, changes, job } = await heldBelowDir((src) => local(src))
    const cycles = job.cycles().length
    await chmod(join(src, 'd'), 0o700)
    changes.next({ type: 'upsert', path: 'd' as RelPath })
    await expect.poll(() => job.cycles().length).toBeGreaterThan(cycles)

    const { summary } = await job.stop()
    expect(Object.keys(await tree(dst)).sort()).toEqual(['bad.txt', 'd/old.txt'])
    expect(summary.deletesSuppressed).toBeDefined()
    expect(summary.skipped).toBe(1)
  })

  it('is released by a cycle that looked at its path and found nothing to delete', async () => {
    const { src, dst, changes, job } = await heldBelowDir((src) => local(src))
    const cycles = job.cycles().length
    // The file is back in the source as the target has it: nothing to delete any more.
    await writeFile(join(src, 'd', 'old.txt'), 'to be removed')
    changes.next({ type: 'upsert', path: 'd/old.txt' as RelPath })
    await expect.poll(() => job.cycles().length, { timeout: 5000 }).toBeGreaterThan(cycles)

    const { summary } = await job.stop()
    expect(Object.keys(await tree(dst)).sort()).toEqual(['bad.txt', 'd/old.txt'])
    expect(summary.deletesSuppressed).toBeUndefined()
    expect(summary.skipped).toBe(0)
  })
})
