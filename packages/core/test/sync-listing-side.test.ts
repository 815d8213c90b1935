import { firstValueFrom, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { createMemBackend, type MemBackend } from '../src/backend/mem-backend.js'
import { type FailedEvent, SyncError, sync } from '../src/index.js'
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
