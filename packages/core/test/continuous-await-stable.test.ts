import { of, throwError } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { awaitStable } from '../src/continuous/await-stable.js'
import type { Change, Entry, RelPath } from '../src/index.js'

const up = (path: string): Change => ({ type: 'upsert', path: path as RelPath })
const file = (path: string, size: number, mtimeMs: number): Entry => ({
  path: path as RelPath,
  kind: 'file',
  size,
  mtimeMs,
})
const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))

describe('awaitStable', () => {
  it('passes at once a file whose mtime is older than the window', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const e = file('a', 1, -500)
      const out = cold('a', { a: up('a') }).pipe(awaitStable({ stat: () => of(e), windowMs: 100, scheduler: ts }))
      expectObservable(out).toBe('x', { x: { path: 'a', entry: e } })
    })
  })

  it('waits while a file is still growing and ships it once two stats agree', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      // The writer appends until 250; the mtime is the time of the last write.
      const stat = () => {
        const t = ts.now()
        return of(t < 250 ? file('a', t, t) : file('a', 250, 250))
      }
      const out = cold('a', { a: up('a') }).pipe(awaitStable({ stat, windowMs: 100, scheduler: ts }))
      // stats at 0 (growing), 100 (changed), 200 (changed), 300 (size 250), 400 (agrees) → out at 400
      expectObservable(out).toBe('400ms x', { x: { path: 'a', entry: file('a', 250, 250) } })
    })
  })

  it('passes gone paths and directories at once', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const dir: Entry = { path: 'd' as RelPath, kind: 'dir', size: 0, mtimeMs: 0 }
      const stat = (p: RelPath) => of(p === 'd' ? dir : undefined)
      const out = cold('(gd)', { g: up('g'), d: up('d') }).pipe(awaitStable({ stat, windowMs: 100, scheduler: ts }))
      expectObservable(out).toBe('(gd)', { g: { path: 'g', entry: undefined }, d: { path: 'd', entry: dir } })
    })
  })

  it('completes when the source does and its checks are over, and propagates errors', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const e = file('a', 1, 0)
      const stat = () => of(e)
      const stable = awaitStable({ stat, windowMs: 100, scheduler: ts })
      expectObservable(cold<Change>('|').pipe(stable)).toBe('|')
      expectObservable(cold<Change>('-').pipe(stable)).toBe('-')
      expectObservable(cold('a|', { a: up('a') }).pipe(stable)).toBe('100ms (x|)', { x: expect.anything() })
      expectObservable(cold<Change>('#').pipe(stable)).toBe('#')
    })
  })

  it('propagates a stat error', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const stat = () => throwError(() => new Error('boom'))
      const out = cold('a', { a: up('a') }).pipe(awaitStable({ stat, scheduler: ts }))
      expectObservable(out).toBe('#', undefined, new Error('boom'))
    })
  })

  it('leaves nothing scheduled after an early unsubscribe', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      // Modified at every look: the file never settles, so a check stays scheduled until the unsubscribe.
      const stat = () => of(file('a', 1, ts.now()))
      expectObservable(cold('a', { a: up('a') }).pipe(awaitStable({ stat, scheduler: ts })), '^ 50ms !').toBe('')
    })
    expect(ts.actions.length).toBe(0)
  })
})
