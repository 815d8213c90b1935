import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { syncPaths } from '../src/continuous/index.js'
import { type FailedEvent, SyncError, type SyncEvent, sync } from '../src/index.js'
import { toRelPath } from '../src/model/rel-path.js'
import { writeText } from '../src/testkit/index.js'

// QA 8 #6: a listing that throws (every backend's failure of a whole listing) came out without the
// side it was on, so `(list)` could not say whether the source or the target failed.

/** `b` with a listing that throws after `after` entries. */
function failingList(b: MemBackend, after: number): void {
  const list = b.list.bind(b)
  b.list = async function* (opts) {
    let n = 0
    for await (const e of list(opts)) {
      if (n++ === after) throw new SyncError('TRANSIENT', 'connection reset', { op: 'mem.list' })
      yield e
    }
    if (n <= after) throw new SyncError('TRANSIENT', 'connection reset', { op: 'mem.list' })
  }
}

async function listFailure(failing: 'source' | 'target', after: number): Promise<FailedEvent | undefined> {
  const src = createMemBackend()
  const dst = createMemBackend()
  for (const b of [src, dst]) for (const f of ['a', 'b', 'c']) await writeText(b, f, f)
  failingList(failing === 'source' ? src : dst, after)
  const events = await firstValueFrom(sync(src, dst, { mode: 'mirror' }).pipe(toArray()))
  return events.find((e): e is FailedEvent => e.type === 'failed' && e.stage === 'list')
}

describe('a listing that throws', () => {
  it.each([
    ['source', 0],
    ['source', 2],
    ['target', 0],
    ['target', 2],
    ['source', 3],
    ['target', 3],
  ] as const)('on the %s after %i entries: the failure names the side', async (side, after) => {
    expect(await listFailure(side, after)).toMatchObject({ stage: 'list', side, error: { code: 'TRANSIENT' } })
  })
})

// QA 10 #7: the check that the source root exists, before any listing, failed without its side: a
// watch of a grpc:// source whose server went away said `(list)` each cycle, `(source list)` elsewhere.
describe('a source whose root cannot be checked (a server gone)', () => {
  async function unreachableSource(): Promise<{ src: MemBackend; dst: MemBackend }> {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'a', 'a')
    src.rootExists = async () => {
      throw new SyncError('TRANSIENT', 'No connection established', { op: 'mem.rootExists' })
    }
    return { src, dst }
  }
  const listFailures = (events: readonly SyncEvent[]) =>
    events.filter((e): e is FailedEvent => e.type === 'failed' && e.stage === 'list')

  it('a one-shot sync says the failure is the source side', async () => {
    const { src, dst } = await unreachableSource()
    const events = await firstValueFrom(sync(src, dst, { mode: 'mirror' }).pipe(toArray()))
    expect(listFailures(events)).toEqual([
      expect.objectContaining({ side: 'source', error: expect.objectContaining({ code: 'TRANSIENT' }) }),
    ])
  })

  it("a watch's cycle over changed paths says so too", async () => {
    const { src, dst } = await unreachableSource()
    const events = await firstValueFrom(syncPaths(src, dst, [toRelPath('a')], { mode: 'mirror' }).pipe(toArray()))
    expect(listFailures(events)).toEqual([
      expect.objectContaining({ side: 'source', error: expect.objectContaining({ code: 'TRANSIENT' }) }),
    ])
  })
})

// QA 20 F3: an S3 target whose listing failed on its second page cut the transfers planned from the
// first one while they ran: `started` without `completed` or `failed`, and their requests sent again.
describe('a target listing that fails after actions were planned from it', () => {
  it('ends the planning, not the run: what was planned finishes and is reported; no delete runs; exit-1 facts, no fatal', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const names = Array.from({ length: 1000 }, (_, i) => `f${String(i).padStart(4, '0')}`)
    for (const f of names) await writeText(src, f, `new ${f}`)
    for (const f of names) await writeText(dst, f, `old ${f}, longer`)
    // One stale file planned for deletion in the first window (it sorts first), one past the failure.
    await writeText(dst, 'a-stale', 'stale')
    await writeText(dst, 'zzz-stale', 'stale')
    // Writes are held until the listing has failed, so that they are in flight then.
    let failed = false
    let release!: () => void
    const released = new Promise<void>((r) => {
      release = r
    })
    dst.faults = { write: async () => void (await released) }
    const list = dst.list.bind(dst)
    dst.list = async function* (opts) {
      let n = 0
      for await (const e of list(opts)) {
        // Past the first window of pairs (256), as a second page of 1,000 keys would be.
        if (n++ === 700) {
          failed = true
          // Once the failure has gone through the pipeline (its microtasks), not before.
          setImmediate(release)
          throw new SyncError('TRANSIENT', 'connection reset', { op: 'mem.list' })
        }
        yield e
      }
    }
    const events = await firstValueFrom(sync(src, dst, { mode: 'mirror', concurrency: 4 }).pipe(toArray()))
    expect(failed).toBe(true)
    const started = events.filter((e) => e.type === 'started').map((e) => e.path)
    const settled = new Set(events.filter((e) => e.type === 'completed' || e.type === 'failed').map((e) => e.path))
    expect(started.length).toBeGreaterThan(0)
    expect(started.filter((p) => !settled.has(p))).toEqual([])
    const done = events.at(-1)
    expect(done).toMatchObject({ type: 'done', summary: { listingErrors: 1 } })
    if (done?.type !== 'done') throw new Error('no done event')
    expect(done.summary.fatal).toBeUndefined()
    expect(done.summary.done.delete ?? 0).toBe(0)
    expect(events.some((e) => e.type === 'planned' && e.action.kind === 'delete' && e.action.path === 'a-stale')).toBe(
      true,
    )
    expect(await dst.stat(toRelPath('a-stale'))).toBeDefined()
    expect(await dst.stat(toRelPath('zzz-stale'))).toBeDefined()
    expect(events.filter((e) => e.type === 'failed' && e.stage === 'list')).toMatchObject([
      { side: 'target', error: { code: 'TRANSIENT' } },
    ])
  })

  it('a failure that is not transient (credentials refused) still ends the run as its fatal error', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    for (let i = 0; i < 1000; i++) await writeText(src, `f${String(i).padStart(4, '0')}`, 'x')
    for (let i = 0; i < 1000; i++) await writeText(dst, `f${String(i).padStart(4, '0')}`, 'old, longer')
    const list = dst.list.bind(dst)
    dst.list = async function* (opts) {
      let n = 0
      for await (const e of list(opts)) {
        // Past the first window of pairs, so that updates were planned from it already.
        if (n++ === 700) throw new SyncError('AUTH', 'access denied', { op: 'mem.list' })
        yield e
      }
    }
    const events = await firstValueFrom(sync(src, dst, { mode: 'mirror' }).pipe(toArray()))
    expect(events.some((e) => e.type === 'planned')).toBe(true)
    const done = events.at(-1)
    if (done?.type !== 'done') throw new Error('no done event')
    expect(done.summary.fatal).toMatchObject({ code: 'AUTH' })
  })
})
