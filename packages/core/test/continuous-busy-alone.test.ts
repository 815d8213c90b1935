import { rm, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type Change, type RelPath, SyncError } from '../src/index.js'
import {
  appendingWriter,
  gatedCalls,
  gatedWrites,
  local,
  localTarget,
  removeTempDirs,
  startJob as start,
  stopJobs,
  stopWriters,
  tempDirs,
  tree,
} from './continuous-local-helpers.js'

// Review 35 #3: a file written without pause (a busy log) passes awaitStable busy and its copy
// races the writer: it fails (CONFLICT, changed while read) time and again. Batched with other
// changes, each such failure held back the deletes made beside it, and its retry carried them on,
// held again, for as long as the log was written; the job's last line said "Deletes suppressed"
// for deletes long run. Real local directories and a real writer (another process, appending
// without pause); the read of the log refused as CONFLICT on top, so that it fails every time.
//
// Refused at the source's read, before the real read: a read of the log let through races the
// writer, and the local backend fails it (changed since listed, or changed while read when an
// append lands between its read and its check): the failure was then the race's, not the fault's
// (TRANSIENT once on a loaded CI machine, before a read held to its planned entry said CONFLICT).
// A refusal at the target's write was never reached: the read before it always failed first.

afterAll(removeTempDirs)
afterEach(stopJobs)

afterEach(stopWriters)

const CONFLICT = (path: string) =>
  new SyncError('CONFLICT', `CONFLICT: fault.read (${path}): the source file changed since it was listed`, {
    op: 'fault.read',
    path,
  })

describe('continuousSync and a busy file whose copy fails', () => {
  it('runs the deletes changed beside it: a busy file is synced in a cycle of its own', async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'app.log'), 'start\n')
    await writeFile(join(src, 'old.txt'), 'to be removed')
    let refusing = false
    // (No server-side copy: the log is read, and refused there.)
    const source = gatedCalls(
      local(src),
      ['read'],
      (path) => {
        if (path === 'app.log' && refusing) throw CONFLICT(path)
      },
      { serverCopy: false },
    )
    // Hints given here: the log's and the removal's, once each, so that (with a long quiet time)
    // both land in one batch: the log passes busy after maxWaitMs (20 × 10 ms), the removal after
    // its move hold (100 ms), and the batch closes 1.5 s after the last.
    const changes = new Subject<Change>()
    const job = start(source, localTarget(dst), { changes, batchQuietMs: 1500, batchMaxWaitMs: 5000 })
    await expect.poll(() => tree(dst)).toEqual({ 'app.log': 'start\n', 'old.txt': 'to be removed' })
    await expect.poll(() => job.cycles().length).toBe(1)

    refusing = true
    await appendingWriter(join(src, 'app.log'))
    await rm(join(src, 'old.txt'))
    changes.next({ type: 'upsert', path: 'app.log' as RelPath })
    changes.next({ type: 'remove', path: 'old.txt' as RelPath })

    // The log's copy fails (and keeps failing in its retries), and the delete runs all the same.
    await expect.poll(() => job.failures().some((f) => f.path === 'app.log'), { timeout: 10_000 }).toBe(true)
    await expect.poll(async () => Object.keys(await tree(dst)), { timeout: 10_000 }).toEqual(['app.log'])
    expect(job.events.filter((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED')).toEqual([])

    const { summary } = await job.stop()
    expect(summary).toMatchObject({ failed: 1, errorCodes: { CONFLICT: 1 }, done: { delete: 1 } })
    expect(summary.deletesSuppressed).toBeUndefined()
    // Each try of the log met the fault, none the writer.
    expect(job.failures().map((f) => f.error.message.match(/fault\.read \(app\.log\)/)?.[0])).not.toContain(undefined)
  })

  it("the job's closing summary counts only the deletes still held: none once they ran, though the busy file still fails", async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'app.log'), 'start\n')
    await writeFile(join(src, 'keep.txt'), 'v1')
    await writeFile(join(src, 'old.txt'), 'to be removed')
    let refusing = false
    let denied = false
    // (No server-side copy: the log is read, and refused there.)
    const source = gatedCalls(
      local(src),
      ['read'],
      (path) => {
        if (path === 'app.log' && refusing) throw CONFLICT(path)
      },
      { serverCopy: false },
    )
    const target = gatedWrites(local(dst), (path) => {
      if (path === 'keep.txt' && denied) {
        throw new SyncError('PERMISSION', `PERMISSION: fault.write (${path})`, { op: 'fault.write', path })
      }
    })
    const changes = new Subject<Change>()
    const job = start(source, target, { changes, batchQuietMs: 1500, batchMaxWaitMs: 5000 })
    await expect.poll(() => job.cycles().length).toBe(1)

    refusing = true
    denied = true
    await appendingWriter(join(src, 'app.log'))
    await writeFile(join(src, 'keep.txt'), 'v2, longer')
    await utimes(join(src, 'keep.txt'), new Date(), new Date(Date.now() - 60_000)) // settled: no stability wait
    await rm(join(src, 'old.txt'))
    changes.next({ type: 'upsert', path: 'app.log' as RelPath })
    changes.next({ type: 'upsert', path: 'keep.txt' as RelPath })
    changes.next({ type: 'remove', path: 'old.txt' as RelPath })
    // keep.txt's failure holds old.txt's delete back (its cycle's), and its retries carry it.
    await expect
      .poll(() => job.events.some((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED'), { timeout: 10_000 })
      .toBe(true)
    await expect.poll(() => job.failures().some((f) => f.path === 'app.log'), { timeout: 10_000 }).toBe(true)

    denied = false // the permission is fixed: the retry updates keep.txt and runs the held delete
    await expect.poll(() => job.cycles().some((c) => c.summary.done.delete === 1), { timeout: 10_000 }).toBe(true)
    expect(await tree(dst)).toMatchObject({ 'keep.txt': 'v2, longer' })
    expect(Object.keys(await tree(dst)).sort()).toEqual(['app.log', 'keep.txt'])

    // The log is still failing (its copy refused): one failure, but no delete is held any more.
    const { summary } = await job.stop()
    expect(summary).toMatchObject({ failed: 1, errorCodes: { CONFLICT: 1 }, skipped: 0, done: { delete: 1 } })
    expect(summary.deletesSuppressed).toBeUndefined()
  })
})
