import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { coalesceChanges } from '../src/continuous/coalesce-changes.js'
import type { Change, RelPath } from '../src/index.js'

const up = (path: string): Change => ({ type: 'upsert', path: path as RelPath })
const rm = (path: string): Change => ({ type: 'remove', path: path as RelPath })
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))

describe('coalesceChanges', () => {
  it('lets a path through once it has been quiet for the debounce, with its latest change', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const src = cold('a 9ms b 9ms r', { a: up('x'), b: up('x'), r: rm('x') })
      // last change at 20, quiet until 70
      expectObservable(src.pipe(coalesceChanges({ debounceMs: 50, scheduler: ts }))).toBe('70ms r', { r: rm('x') })
    })
  })

  // QA 12 #3: a directory removed and made again came out as a plain upsert, and its old contents stayed in the mirror.
  it('marks a path removed, then changed again within its window, as removed', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const src = cold('r 9ms a 9ms b', { r: rm('x'), a: up('x'), b: up('y') })
      expectObservable(src.pipe(coalesceChanges({ debounceMs: 50, scheduler: ts }))).toBe('60ms a 9ms b', {
        a: { ...up('x'), removed: true },
        b: up('y'),
      })
    })
  })

  it('keeps paths independent: a busy path never delays another', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const src = cold('a b 28ms a 29ms a', { a: up('a'), b: up('b') })
      // b: at 1, out at 51; a: last at 60, out at 110
      expectObservable(src.pipe(coalesceChanges({ debounceMs: 50, scheduler: ts }))).toBe('51ms b 58ms a', {
        a: up('a'),
        b: up('b'),
      })
    })
  })

  it('emits a path written without pause at the latest after maxWait', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const values = { a: up('log') }
      const src = cold('a 9ms a 9ms a 9ms a 9ms a 9ms a 9ms a 9ms a', values) // every 10 ms until 70
      // maxWait 45: the first wait ends at 45; the next starts at 50 and ends quiet at 90 (before its 95 deadline).
      expectObservable(src.pipe(coalesceChanges({ debounceMs: 20, maxWaitMs: 45, scheduler: ts }))).toBe(
        '45ms a 44ms a',
        values,
      )
    })
  })

  it('in a burst (burstSize paths pending), lets paths changed then through after burstDebounceMs', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const values = { a: up('a'), b: up('b'), c: up('c'), d: up('d') }
      // a (0) and b (1) wait the debounce (50); c (2) and d (3) come while two are pending: 10 ms of
      // quiet; d changes again at 5.
      const src = cold('a b c d 1ms d', values)
      const out = src.pipe(coalesceChanges({ debounceMs: 50, burstSize: 2, burstDebounceMs: 10, scheduler: ts }))
      expectObservable(out).toBe('12ms c 2ms d 34ms a b', values)
    })
  })

  it('splits a rename into a remove of the old path and an upsert of the new one', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const src = cold('r', { r: { type: 'rename', path: 'new' as RelPath, from: 'old' as RelPath } satisfies Change })
      expectObservable(src.pipe(coalesceChanges({ debounceMs: 10, scheduler: ts }))).toBe('10ms (ou)', {
        o: rm('old'),
        u: up('new'),
      })
    })
  })

  it('flushes pending paths when the source completes', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 4ms |', { a: up('a') }).pipe(coalesceChanges({ debounceMs: 50, scheduler: ts }))).toBe(
        '5ms (a|)',
        { a: up('a') },
      )
    })
  })

  it('completes at once when empty, stays silent when the source never emits, and propagates errors', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<Change>('|').pipe(coalesceChanges({ scheduler: ts }))).toBe('|')
      expectObservable(cold<Change>('-').pipe(coalesceChanges({ scheduler: ts }))).toBe('-')
      expectObservable(cold<Change>('a #', { a: up('a') }).pipe(coalesceChanges({ scheduler: ts }))).toBe('-#')
    })
    expect(ts.actions.length).toBe(0)
  })

  it('leaves nothing scheduled after an early unsubscribe', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const src = cold('a b', { a: up('a'), b: up('b') })
      expectObservable(src.pipe(coalesceChanges({ debounceMs: 50, scheduler: ts })), '^ 10ms !').toBe('')
      expectSubscriptions(src.subscriptions).toBe('^ 10ms !')
    })
    expect(ts.actions.length).toBe(0)
  })
})
