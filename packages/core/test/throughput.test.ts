import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import type { Action, RelPath, StatsEvent, SyncEvent } from '../src/index.js'
import { ThroughputMeter, throughput } from '../src/operators/throughput.js'

const action: Action = {
  kind: 'copy',
  path: 'a' as RelPath,
  reason: 'new file',
  source: { path: 'a' as RelPath, kind: 'file', size: 1000, mtimeMs: 0 },
}
const planned: SyncEvent = { type: 'planned', ts: 0, action }
const started: SyncEvent = { type: 'started', ts: 0, action }
const completed: SyncEvent = { type: 'completed', ts: 0, action, bytes: 1000, durationMs: 1 }

describe('throughput', () => {
  it('emits stats every interval while events flow, and a last one at the end', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const events = cold<SyncEvent>('p s 2497ms c|', { p: planned, s: started, c: completed })
      const out = events.pipe(throughput({ intervalMs: 1000 }))
      // p at 0, s at 1, ticks at 1000 and 2000, c at 2499, completion (and the last stats) at 2500.
      expectObservable(out).toBe('p s 998ms x 999ms y 498ms c (z|)', {
        p: planned,
        s: started,
        c: completed,
        x: expect.objectContaining({ type: 'stats', filesDone: 0, inFlight: 1, filesPlanned: 1 }),
        y: expect.objectContaining({ type: 'stats', filesDone: 0 }),
        z: expect.objectContaining({ type: 'stats', filesDone: 1, bytesDone: 1000, inFlight: 0 }),
      })
    })
  })

  // A delta sends a fraction of the file (`bytes`, what the summary counts); the progress against
  // the planned bytes still reaches 100%, with no ETA left.
  it('counts a transfer that sent fewer bytes (a delta) to its file size in bytesDone', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const delta: SyncEvent = { ...completed, bytes: 7 } as SyncEvent
      expectObservable(cold<SyncEvent>('p s c|', { p: planned, s: started, c: delta }).pipe(throughput())).toBe(
        'p s c (z|)',
        {
          p: planned,
          s: started,
          c: delta,
          z: expect.objectContaining({ type: 'stats', filesDone: 1, bytesPlanned: 1000, bytesDone: 1000 }),
        },
      )
    })
  })

  it('completes at once for an empty stream, leaving nothing scheduled', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b))
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<SyncEvent>('|').pipe(throughput())).toBe('(z|)', {
        z: expect.objectContaining({ type: 'stats', filesDone: 0 }),
      })
    })
    expect(ts.actions.length).toBe(0)
  })

  it('propagates errors', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      expectObservable(cold<SyncEvent>('#').pipe(throughput())).toBe('#')
    })
  })

  it('computes rates over the sliding window and an ETA', () => {
    const m = new ThroughputMeter(0, 5000)
    m.add({ ...planned, action: { ...action, source: { ...action.source!, size: 10_000 } } })
    m.add(started)
    m.add({ type: 'progress', ts: 0, path: 'a', bytes: 2000, total: 10_000 })
    const s: StatsEvent = m.snapshot(1000, false)
    expect(s.bytesDone).toBe(2000)
    expect(s.bytesPerSec).toBe(2000)
    expect(s.etaMs).toBe(4000)
  })

  // QA 7 #11: the bytes of a failed transfer left bytesDone, and the rate went negative.
  it('keeps the rate of bytes moved when a transfer fails part-way: never negative', () => {
    const m = new ThroughputMeter(0, 5000)
    const big: Action = { ...action, source: { ...action.source!, size: 10_000 } }
    m.add({ ...planned, action: big })
    m.add(started)
    m.add({ type: 'progress', ts: 0, path: 'a', bytes: 6000, total: 10_000 })
    expect(m.snapshot(1000, false).bytesPerSec).toBe(6000)
    m.add({
      type: 'failed',
      ts: 0,
      path: 'a',
      stage: 'transfer',
      action: big,
      error: { code: 'TRANSIENT', message: 'timed out' },
    })
    const s = m.snapshot(2000, false)
    expect(s.bytesDone).toBe(0)
    expect(s.bytesPerSec).toBe(3000)
    // Nothing is left to come: no time left either (QA 8 #13: the last stats said 1.5 s).
    expect(s.etaMs).toBe(0)
    // A retry from its start, then its end: what the retry moved, on top.
    m.add({ type: 'progress', ts: 0, path: 'a', bytes: 4000, total: 10_000 })
    m.add({ ...completed, action: big, bytes: 10_000 })
    expect(m.snapshot(4000, false)).toMatchObject({ bytesDone: 10_000, bytesPerSec: 4000 })
  })

  // Stop 35's note: the last stats event of a Ctrl-C'd run counted its interrupted items as failed,
  // where the summary says "interrupted" and counts none failed; they are still to do: queued.
  it('counts an interrupted (ABORTED) item as queued, not failed', () => {
    const m = new ThroughputMeter(0, 5000)
    const b: Action = { ...action, path: 'b' as RelPath }
    m.add(planned)
    m.add({ ...planned, action: b })
    m.add(started)
    m.add({ ...started, action: b })
    const failed = (a: Action, code: 'ABORTED' | 'TRANSIENT'): SyncEvent => ({
      type: 'failed',
      ts: 0,
      path: a.path,
      stage: 'transfer',
      action: a,
      error: { code, message: code === 'ABORTED' ? 'interrupted' : 'timed out' },
    })
    m.add(failed(action, 'ABORTED'))
    m.add(failed(b, 'TRANSIENT'))
    expect(m.snapshot(1000, false)).toMatchObject({ failed: 1, inFlight: 0, queued: 1, filesDone: 0 })
  })
})
