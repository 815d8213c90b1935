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
