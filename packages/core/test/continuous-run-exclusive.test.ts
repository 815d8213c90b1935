import type { Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { runExclusive } from '../src/continuous/run-exclusive.js'

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))
const join = (a: string, b: string): string => a + b

describe('runExclusive', () => {
  it('runs one item at a time and merges what arrives meanwhile into one pending run', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      // Each run takes 10 ms and then emits its item.
      const run = (item: string): Observable<string> => cold('10ms (x|)', { x: item })
      const src = cold('a 2ms b c d 20ms e', { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e' })
      // a runs 0..10; b, c, d arrive during it and run together 10..20; e arrives at 26 and runs 26..36.
      expectObservable(src.pipe(runExclusive(run, join))).toBe('10ms a 9ms x 15ms e', { a: 'a', x: 'bcd', e: 'e' })
    })
  })

  it('keeps apart what merge refuses, merging what arrives later into the item that takes it', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const run = (item: string): Observable<string> => cold('10ms (x|)', { x: item })
      // Lower and upper case never merge (a continuous job's busy files and its other paths).
      const apart = (a: string, b: string): string | undefined =>
        (a === a.toLowerCase()) === (b === b.toLowerCase()) ? a + b : undefined
      const src = cold('a 2ms b C d E', { a: 'a', b: 'b', C: 'C', d: 'd', E: 'E' })
      // a runs 0..10; b and d run together 10..20, then C and E 20..30, in the order they began.
      expectObservable(src.pipe(runExclusive(run, apart))).toBe('10ms a 9ms x 9ms y', { a: 'a', x: 'bd', y: 'CE' })
    })
  })

  it('completes after the source once the running and pending work are done', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const run = (item: string): Observable<string> => cold('10ms (x|)', { x: item })
      expectObservable(cold('a b|', { a: 'a', b: 'b' }).pipe(runExclusive(run, join))).toBe('10ms a 9ms (b|)', {
        a: 'a',
        b: 'b',
      })
      expectObservable(cold<string>('|').pipe(runExclusive(run, join))).toBe('|')
      expectObservable(cold<string>('-').pipe(runExclusive(run, join))).toBe('-')
    })
  })

  it('propagates errors of the source and of a run', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const fail = (): Observable<string> => cold('5ms #')
      expectObservable(cold('a', { a: 'a' }).pipe(runExclusive(fail, join))).toBe('5ms #')
      const run = (item: string): Observable<string> => cold('10ms (x|)', { x: item })
      expectObservable(cold('a #', { a: 'a' }).pipe(runExclusive(run, join))).toBe('-#')
    })
  })

  it('unsubscribes the running work on an early unsubscribe', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const work = cold('10ms (x|)', { x: 'a' })
      expectObservable(cold('a', { a: 'a' }).pipe(runExclusive(() => work, join)), '^ 5ms !').toBe('')
      expectSubscriptions(work.subscriptions).toBe('^ 5ms !')
    })
    expect(ts.actions.length).toBe(0)
  })
})
