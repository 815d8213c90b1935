import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { batchChanges } from '../src/continuous/batch-changes.js'

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))

describe('batchChanges', () => {
  it('closes a batch once the source has been quiet for quietMs', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const src = cold('a b 5ms c 30ms d', { a: 1, b: 2, c: 3, d: 4 })
      // c at 7, quiet until 27: [1,2,3]; d at 38, quiet until 58: [4]
      expectObservable(src.pipe(batchChanges<number>({ quietMs: 20, scheduler: ts }))).toBe('27ms x 30ms y', {
        x: [1, 2, 3],
        y: [4],
      })
    })
  })

  it('closes a batch maxWaitMs after it opened while the source stays busy', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const v = { a: 1 }
      const src = cold('a 9ms a 9ms a 9ms a 9ms a 9ms a', v) // every 10 ms until 50
      // quiet 20 never comes before 50; maxWait 35 closes the first batch at 35 (4 items), the rest closes quiet at 70.
      expectObservable(src.pipe(batchChanges<number>({ quietMs: 20, maxWaitMs: 35, scheduler: ts }))).toBe(
        '35ms x 34ms y',
        { x: [1, 1, 1, 1], y: [1, 1] },
      )
    })
  })

  it('closes a batch at maxSize, so memory stays bounded', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const src = cold('(abcde)', { a: 1, b: 2, c: 3, d: 4, e: 5 })
      expectObservable(src.pipe(batchChanges<number>({ quietMs: 20, maxSize: 2, scheduler: ts }))).toBe('(xy) 16ms z', {
        x: [1, 2],
        y: [3, 4],
        z: [5],
      })
    })
  })

  it('flushes on completion, emits no empty batch, and propagates errors', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 4ms |', { a: 1 }).pipe(batchChanges<number>({ scheduler: ts }))).toBe('5ms (x|)', {
        x: [1],
      })
      expectObservable(cold<number>('|').pipe(batchChanges<number>({ scheduler: ts }))).toBe('|')
      expectObservable(cold<number>('-').pipe(batchChanges<number>({ scheduler: ts }))).toBe('-')
      expectObservable(cold('a #', { a: 1 }).pipe(batchChanges<number>({ scheduler: ts }))).toBe('-#')
    })
    expect(ts.actions.length).toBe(0)
  })

  it('leaves nothing scheduled after an early unsubscribe', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a', { a: 1 }).pipe(batchChanges<number>({ quietMs: 50, scheduler: ts })), '^ 5ms !').toBe(
        '',
      )
    })
    expect(ts.actions.length).toBe(0)
  })

  it('waits for a longer pause once a batch is a burst, and its deadline moves out', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const v = { a: 1 }
      // Three items 10 ms apart make a burst (burstSize 3): it closes 40 ms after the last one, not 20.
      const burst = cold('a 9ms a 9ms a', v)
      expectObservable(
        burst.pipe(batchChanges<number>({ quietMs: 20, burstSize: 3, burstQuietMs: 40, scheduler: ts })),
      ).toBe('60ms x', { x: [1, 1, 1] })
      // Below burstSize, the ordinary quiet window.
      expectObservable(
        cold('a 9ms a', v).pipe(batchChanges<number>({ quietMs: 20, burstSize: 3, scheduler: ts })),
      ).toBe('30ms x', { x: [1, 1] })
      // A busy burst: the deadline is burstMaxWaitMs from the batch's first item (maxWaitMs 25 would have cut it).
      const busy = cold('a 9ms a 9ms a 9ms a 9ms a 9ms a 9ms a', v) // every 10 ms until 60
      expectObservable(
        busy.pipe(
          batchChanges<number>({
            quietMs: 20,
            maxWaitMs: 25,
            burstSize: 2,
            burstQuietMs: 30,
            burstMaxWaitMs: 45,
            scheduler: ts,
          }),
        ),
      ).toBe('45ms x 44ms y', { x: [1, 1, 1, 1, 1], y: [1, 1] })
    })
    expect(ts.actions.length).toBe(0)
  })
})
