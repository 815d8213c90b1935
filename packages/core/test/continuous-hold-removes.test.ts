import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { holdRemoves } from '../src/continuous/hold-removes.js'
import type { ObservedChange } from '../src/continuous/observed-change.js'
import type { Entry, RelPath } from '../src/index.js'

const gone = (path: string): ObservedChange => ({ path: path as RelPath, entry: undefined })
const here = (path: string): ObservedChange => {
  const entry: Entry = { path: path as RelPath, kind: 'file', size: 1, mtimeMs: 0 }
  return { path: path as RelPath, entry }
}
const v = { r: gone('old'), q: gone('other'), u: here('new') }
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))

describe('holdRemoves', () => {
  it('holds a remove until its hold ends', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('r', v).pipe(holdRemoves({ holdMs: 100, scheduler: ts }))).toBe('100ms r', v)
    })
  })

  it('releases held removes just before the next upsert, so a rename lands in one batch', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('r q 20ms u', v).pipe(holdRemoves({ holdMs: 100, scheduler: ts }))).toBe('22ms (rqu)', v)
    })
  })

  it('passes upserts at once', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('u u', v).pipe(holdRemoves({ scheduler: ts }))).toBe('u u', v)
    })
  })

  it('flushes on completion; empty, never and error behave', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('r 9ms |', v).pipe(holdRemoves({ holdMs: 100, scheduler: ts }))).toBe('10ms (r|)', v)
      expectObservable(cold<ObservedChange>('|').pipe(holdRemoves({ scheduler: ts }))).toBe('|')
      expectObservable(cold<ObservedChange>('-').pipe(holdRemoves({ scheduler: ts }))).toBe('-')
      expectObservable(cold('r #', v).pipe(holdRemoves({ scheduler: ts }))).toBe('-#')
    })
    expect(ts.actions.length).toBe(0)
  })

  it('leaves nothing scheduled after an early unsubscribe', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('r', v).pipe(holdRemoves({ holdMs: 100, scheduler: ts })), '^ 10ms !').toBe('')
    })
    expect(ts.actions.length).toBe(0)
  })
})
