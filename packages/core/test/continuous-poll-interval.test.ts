// QA 23 #4: a source without change events (s3://) was listed every 2 s whatever its size: a 1 M-object
// prefix cost ~$216 a day in LIST requests. The default wait now grows with the last listing.
import { Readable } from 'node:stream'
import { defer, from, mergeMap, timer, VirtualTimeScheduler } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { pollChanges } from '../src/continuous/poll-changes.js'
import { POLL_MAX_MS, POLL_MIN_MS, pollIntervalMs } from '../src/continuous/poll-interval-ms.js'
import { watchChanges } from '../src/continuous/watch-changes.js'
import { createMemBackend, type Entry, type RelPath } from '../src/index.js'

const file = (path: string, size: number): Entry => ({ path: path as RelPath, kind: 'file', size, mtimeMs: 0 })

describe('pollIntervalMs', () => {
  it('is 2 s for a small, quick listing, and grows with its entries and its time, up to 5 minutes', () => {
    expect(pollIntervalMs({ entries: 10, tookMs: 5 })).toBe(POLL_MIN_MS)
    // 1 s per 10,000 entries: at most 10 LIST requests (1,000 keys each) a second.
    expect(pollIntervalMs({ entries: 50_000, tookMs: 0 })).toBe(5000)
    // 10 × the listing's time: listing takes at most ~1/11 of the time.
    expect(pollIntervalMs({ entries: 100, tookMs: 1500 })).toBe(15_000)
    expect(pollIntervalMs({ entries: 1_000_000, tookMs: 120_000 })).toBe(POLL_MAX_MS)
  })
})

describe('pollChanges with an interval that follows the listing', () => {
  it('waits 10 × the time the last listing took before the next one', () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b))
    ts.run(({ expectObservable }) => {
      let i = 0
      // Each listing takes 500 ms (virtual): the next one starts 5 s after it ends.
      const list = () => timer(500, ts).pipe(mergeMap(() => from(i++ === 0 ? [file('a', 1)] : [file('a', 2)])))
      expectObservable(pollChanges(list, { intervalMs: pollIntervalMs, scheduler: ts }), '^ 7000ms !').toBe(
        '6000ms a',
        { a: { type: 'upsert', path: 'a' } },
      )
    })
  })
})

describe('watchChanges polling a source without events', () => {
  it('lists a 30,000-entry source every 3 s, not 2, and says so once it has listed it', async () => {
    const src = createMemBackend()
    for (let n = 0; n < 30_000; n++) {
      await src.write(`f${n}` as RelPath, Readable.from([Buffer.from('x')]), { mtimeMs: 1_700_000_000_000 })
    }
    const scheduler = new VirtualTimeScheduler()
    const notices: string[] = []
    const seen: { path: string; at: number }[] = []
    let ready = false
    const sub = defer(() =>
      watchChanges(src, {
        onNotice: (code, message) => notices.push(`${code} ${message}`),
        onReady: () => (ready = true),
        scheduler,
      }),
    ).subscribe((c) => seen.push({ path: c.path, at: scheduler.now() }))
    // The interval is told once the first listing says how large the source is.
    await expect.poll(() => ready, { timeout: 10_000 }).toBe(true)
    expect(notices).toEqual([
      expect.stringMatching(
        /^POLLING mem:\/\/.* offers no change events: polling mem:\/\/.* every 3 s instead \(30000 entries listed in 0 s; .*--poll-interval sets it\)$/,
      ),
    ])
    await src.write('new' as RelPath, Readable.from([Buffer.from('y')]), { mtimeMs: 1_700_000_000_000 })
    scheduler.flush()
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(1)
    expect(seen).toEqual([{ path: 'new', at: 3000 }])
    sub.unsubscribe()
  }, 30_000)
})
