import { lastValueFrom, Subject, toArray } from 'rxjs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { CompletedEvent, Entry, RelPath, SyncEvent } from '../src/index.js'
import { MemoryStateStore, record } from '../src/index.js'

// Review of the state store: records were saved every 500 files and at the end only, so a run of big
// files (hours of uploads) killed before its 500th had saved nothing; the next run compared, or
// hashed, every file again. A record now waits at most `maxDelayMs` for its batch.

const p = (s: string) => s as RelPath
const file = (path: string, size = 1): Entry => ({ path: p(path), kind: 'file', size, mtimeMs: 1_700_000_000_000 })
const copied = (path: string): CompletedEvent => ({
  type: 'completed',
  ts: 1,
  action: { kind: 'copy', path: p(path), source: file(path), reason: 'new file' },
  bytes: 1,
  durationMs: 1,
  result: file(path),
})
const saved = async (state: MemoryStateStore, paths: string[]) =>
  (await state.getMany(paths.map(p))).map((r) => r !== undefined)

afterEach(() => {
  vi.useRealTimers()
})

describe('record', () => {
  it('saves a batch that has not filled once its first record has waited maxDelayMs', async () => {
    vi.useFakeTimers()
    const state = new MemoryStateStore()
    const events = new Subject<SyncEvent>()
    const out = lastValueFrom(events.pipe(record(state, { batchSize: 500, maxDelayMs: 10_000 }), toArray()))
    events.next(copied('a'))
    await vi.advanceTimersByTimeAsync(9_000)
    events.next(copied('b'))
    expect(await saved(state, ['a', 'b'])).toEqual([false, false])
    await vi.advanceTimersByTimeAsync(1_000)
    expect(await saved(state, ['a', 'b'])).toEqual([true, true])
    // The next record arms its own wait.
    events.next(copied('c'))
    await vi.advanceTimersByTimeAsync(9_999)
    expect(await saved(state, ['c'])).toEqual([false])
    await vi.advanceTimersByTimeAsync(1)
    expect(await saved(state, ['c'])).toEqual([true])
    events.complete()
    expect(await out).toHaveLength(3)
  })

  it('saves a full batch at once, and what is left when the run ends, without waiting', async () => {
    const state = new MemoryStateStore()
    const events = new Subject<SyncEvent>()
    const out = lastValueFrom(events.pipe(record(state, { batchSize: 2, maxDelayMs: 60_000 }), toArray()))
    events.next(copied('a'))
    events.next(copied('b'))
    await vi.waitFor(async () => expect(await saved(state, ['a', 'b'])).toEqual([true, true]))
    events.next(copied('c'))
    events.complete()
    await out
    expect(await saved(state, ['c'])).toEqual([true])
  })
})
