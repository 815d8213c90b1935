import { Subject } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { type Change, createMemBackend, type RelPath } from '../src/index.js'
import { listAll, writeText } from '../src/testkit/index.js'
import { startJob, stopJobs } from './continuous-local-helpers.js'

// A name no RelPath may hold (a tab, a newline) is reported, but holds no delete back in a
// continuous job either (S3 QA F10: one such file stopped a mirror from ever deleting).

const T0 = 1_700_000_000_000
afterEach(stopJobs)

describe('continuousSync with a name skipped for an unsafe character', () => {
  it('runs the deletes of its rescans, and its totals count the name as failed, never as a listing error', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'keep', 'k', T0)
    src.plantUnsafe('tab\there', 't')
    await writeText(dst, 'keep', 'k', T0)
    await writeText(dst, 'extra', 'x', T0)
    const job = startJob(src, dst, { changes: new Subject<Change>(), rescanMs: 40 })
    await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(2)
    expect((await listAll(dst)).map((e) => e.path)).toEqual(['keep' as RelPath])
    const first = job.cycles()[0]
    expect(first?.summary).toMatchObject({ failed: 1, listingErrors: 0, done: { delete: 1 } })
    const last = await job.stop()
    expect(last.summary.mode).toBe('watch')
    // The name fails again on every rescan: counted once while it keeps failing, and no count goes below 0.
    expect(last.summary).toMatchObject({ failed: 1, listingErrors: 0 })
  })

  it('polling a source without events reports such a name once in the first cycle, not again for its first listing', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'keep', 'k', T0)
    src.plantUnsafe('tab\there', 't')
    const job = startJob(src, dst)
    await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)
    // A few polls later (each lists the source again), still once.
    await writeText(src, 'later', 'l', T0)
    await expect.poll(async () => (await listAll(dst)).map((e) => e.path)).toContain('later')
    await job.stop()
    expect(job.failures().filter((f) => f.path === 'tab\there')).toHaveLength(1)
  })
})
