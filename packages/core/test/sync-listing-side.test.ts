import { firstValueFrom, tap, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { syncPaths } from '../src/continuous/index.js'
import { check, type FailedEvent, SyncError, type SyncErrorCode, type SyncEvent, sync } from '../src/index.js'
import { toRelPath } from '../src/model/rel-path.js'
import { readText, writeText } from '../src/testkit/index.js'

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

/**
 * A mirror of 1,000 updated files whose `side` listing fails with `code` past the first window of
 * pairs (256), as a second page of 1,000 keys would, with writes held until the failure is out (so
 * that they are in flight then), one stale target file planned for deletion in the first window and
 * one past the failure.
 */
async function failsAfterPlanning(side: 'source' | 'target', code: SyncErrorCode) {
  const src = createMemBackend()
  const dst = createMemBackend()
  const names = Array.from({ length: 1000 }, (_, i) => `f${String(i).padStart(4, '0')}`)
  for (const f of names) await writeText(src, f, `new ${f}`)
  for (const f of names) await writeText(dst, f, `old ${f}, longer`)
  await writeText(dst, 'a-stale', 'stale')
  await writeText(dst, 'zzz-stale', 'stale')
  let failed = false
  let release!: () => void
  const released = new Promise<void>((r) => {
    release = r
  })
  // (Between two MemBackends a file goes by copyFrom, not write: both are held.)
  const held = async () => void (await released)
  dst.faults = { write: held, copyFrom: held }
  const failing = side === 'source' ? src : dst
  const list = failing.list.bind(failing)
  failing.list = async function* (opts) {
    let n = 0
    for await (const e of list(opts)) {
      if (n++ === 700) {
        failed = true
        throw new SyncError(code, 'page 2 failed', { op: 'mem.list' })
      }
      yield e
    }
  }
  // The writes go on once the failure has come out of the run (the planner plans the window it was
  // in first), so that they are in flight then.
  const run$ = sync(src, dst, { mode: 'mirror', concurrency: 4 }).pipe(
    tap((e) => {
      if (e.type === 'failed' && e.stage === 'list') release()
    }),
  )
  const events = await firstValueFrom(run$.pipe(toArray()))
  expect(failed).toBe(true)
  const done = events.at(-1)
  if (done?.type !== 'done') throw new Error('no done event')
  return { events, summary: done.summary, dst }
}

/** What is the same whatever the failure: every transfer started ends, every delete is held back. */
async function expectDrainedAndNoDelete(events: readonly SyncEvent[], dst: MemBackend): Promise<void> {
  // (started and completed name their action's path, not a path of their own.)
  const started = events.flatMap((e) => (e.type === 'started' ? [e.action.path] : []))
  const settled = new Set(
    events.flatMap((e) => (e.type === 'completed' ? [e.action.path] : e.type === 'failed' ? [e.path] : [])),
  )
  expect(started.length).toBeGreaterThan(0)
  expect(started.filter((p) => !settled.has(p))).toEqual([])
  // Each delete planned ends too: held back by the guard, which says why once.
  const deletes = events.flatMap((e) => (e.type === 'planned' && e.action.kind === 'delete' ? [e.action.path] : []))
  expect(deletes).toContain('a-stale')
  const held = events.flatMap((e) => (e.type === 'skipped' && e.action?.kind === 'delete' ? [e.path] : []))
  expect(held.sort()).toEqual(deletes.sort())
  expect(events.filter((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED')).toHaveLength(1)
  expect(events.some((e) => e.type === 'completed' && e.action.kind === 'delete')).toBe(false)
  expect(await dst.stat(toRelPath('a-stale'))).toBeDefined()
  expect(await dst.stat(toRelPath('zzz-stale'))).toBeDefined()
}

describe('a listing that fails after actions were planned from it', () => {
  it('ends the planning, not the run: what was planned finishes and is reported; no delete runs; exit-1 facts, no fatal', async () => {
    const { events, summary, dst } = await failsAfterPlanning('target', 'TRANSIENT')
    await expectDrainedAndNoDelete(events, dst)
    expect(summary).toMatchObject({ listingErrors: 1 })
    expect(summary.fatal).toBeUndefined()
    expect(summary.done.delete ?? 0).toBe(0)
    expect(events.filter((e) => e.type === 'failed' && e.stage === 'list')).toMatchObject([
      { side: 'target', error: { code: 'TRANSIENT' } },
    ])
  })

  // Credentials refused, a bucket gone, a broken listing: the run's fatal error (exit 2) still, but
  // no longer by cutting what it had started (QA: started without completed, deletes without a word).
  it.each([
    ['target', 'AUTH'],
    ['target', 'NOT_FOUND'],
    ['source', 'UNKNOWN'],
  ] as const)(
    'on the %s, not transient (%s): what was planned finishes, no delete runs, then the run stops with it',
    async (side, code) => {
      const { events, summary, dst } = await failsAfterPlanning(side, code)
      await expectDrainedAndNoDelete(events, dst)
      // Said once, when it happened (before the transfers it let finish end), and the run's fatal error.
      const isListFailure = (e: SyncEvent) => e.type === 'failed' && e.stage === 'list'
      expect(events.filter(isListFailure)).toMatchObject([{ side, error: { code } }])
      expect(events.findIndex(isListFailure)).toBeLessThan(events.findLastIndex((e) => e.type === 'completed'))
      expect(summary.fatal).toMatchObject({ code, message: `${code}: mem.list: page 2 failed` })
      // What was done is in the summary, not "nothing was run".
      expect(summary.done.update).toBeGreaterThan(0)
      expect(summary.done.update).toBe(events.filter((e) => e.type === 'completed').length)
      expect(summary.listingErrors).toBe(1)
      expect(await readText(dst, 'f0000')).toBe('new f0000')
    },
  )
})

// `check` exited 2 (its fatal error) where `sync --dry-run` exited 1 on the same transient failure of
// a listing's second page: check counted none of its differences as planned, so the failure came
// before any action, as far as the run could tell. Both report what they found, then the failure.
describe('check meets a listing that fails after differences were found as sync --dry-run does', () => {
  async function compareOnly(how: 'check' | 'dry-run', code: SyncErrorCode) {
    const src = createMemBackend()
    const dst = createMemBackend()
    for (let i = 0; i < 1000; i++) await writeText(src, `f${String(i).padStart(4, '0')}`, 'new')
    for (let i = 0; i < 1000; i++) await writeText(dst, `f${String(i).padStart(4, '0')}`, 'old, longer')
    const list = dst.list.bind(dst)
    dst.list = async function* (opts) {
      let n = 0
      for await (const e of list(opts)) {
        // Past the first window of pairs, so that differences were found in it already.
        if (n++ === 700) throw new SyncError(code, 'page 2 failed', { op: 'mem.list' })
        yield e
      }
    }
    const run$ =
      how === 'check' ? check(src, dst, { mode: 'mirror' }) : sync(src, dst, { mode: 'mirror', dryRun: true })
    const events = await firstValueFrom(run$.pipe(toArray()))
    const done = events.at(-1)
    if (done?.type !== 'done') throw new Error('no done event')
    return { planned: events.filter((e) => e.type === 'planned').length, summary: done.summary }
  }

  it('transient: the differences found, one listing error, no fatal error (exit 1)', async () => {
    for (const how of ['check', 'dry-run'] as const) {
      const { planned, summary } = await compareOnly(how, 'TRANSIENT')
      expect(planned, how).toBeGreaterThan(0)
      expect(summary.fatal, how).toBeUndefined()
      expect(summary, how).toMatchObject({ listingErrors: 1, failed: 1, errorCodes: { TRANSIENT: 1 } })
    }
  })

  it('not transient (AUTH): the differences found, then the fatal error (exit 2)', async () => {
    for (const how of ['check', 'dry-run'] as const) {
      const { planned, summary } = await compareOnly(how, 'AUTH')
      expect(planned, how).toBeGreaterThan(0)
      expect(summary.fatal, how).toMatchObject({ code: 'AUTH' })
      expect(summary.listingErrors, how).toBe(1)
    }
  })
})
