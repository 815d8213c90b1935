import { map, of, throwError, timer } from 'rxjs'
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

  // QA 28d: the wait between two looks held one of the `concurrency` slots, so as many files
  // written without pause (busy logs) stopped every other change from being looked at, until they paused.
  it('files that never settle do not hold back other paths, whatever the concurrency', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      // a and b are written at every look; c was last written long ago.
      const stat = (p: RelPath) => of(p === 'c' ? file('c', 1, -1000) : file(p, ts.now(), ts.now()))
      const out = cold('ab 8ms c', { a: up('a'), b: up('b'), c: up('c') }).pipe(
        awaitStable({ stat, windowMs: 100, concurrency: 2, scheduler: ts }),
      )
      expectObservable(out, '^ 500ms !').toBe('10ms x', { x: { path: 'c', entry: file('c', 1, -1000) } })
    })
    expect(ts.actions.length).toBe(0)
  })

  // QA 35 #2: a log appended to without pause never settled, and its copy in the target stayed as
  // it was when the watch started, for as long as the log was written.
  it('passes a file that never settles maxWaitMs after its first look, marked busy', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const stat = () => of(file('log', ts.now(), ts.now()))
      const out = cold('a', { a: up('log') }).pipe(awaitStable({ stat, windowMs: 100, maxWaitMs: 1000, scheduler: ts }))
      // Looks at 0, 100, …, 1000: the last one is maxWaitMs after the first.
      expectObservable(out, '^ 1500ms !').toBe('1000ms x', {
        x: { path: 'log', entry: file('log', 1000, 1000), busy: true },
      })
    })
  })

  // Review 35: a file rewritten without pause passed every maxWaitMs, and each pass read it whole
  // for a copy that failed as changed while read (a 400 MB image: 9 doomed copies in 30 s).
  it('a file that passed busy and is reported again without having settled waits twice as long', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const stat = () => of(file('img', ts.now(), ts.now()))
      // Reported at 0, then again at 1100, once its first pass is out.
      const out = cold('a 1099ms a', { a: up('img') }).pipe(
        awaitStable({ stat, windowMs: 100, maxWaitMs: 1000, scheduler: ts }),
      )
      // The first pass 1000 ms after its first look; the second 2000 ms after its own (at 3100).
      expectObservable(out, '^ 5000ms !').toBe('1000ms x 2099ms y', {
        x: { path: 'img', entry: file('img', 1000, 1000), busy: true },
        y: { path: 'img', entry: file('img', 3100, 3100), busy: true },
      })
    })
  })

  it('a path reported again while it is checked joins that check: one stat per window, one result', () => {
    const ts = newScheduler()
    let stats = 0
    ts.run(({ cold, expectObservable }) => {
      // Written until 250 (its mtime the time of the last write), and reported every 20 ms meanwhile.
      const stat = () => {
        stats++
        const t = Math.min(ts.now(), 250)
        return of(file('a', t, t))
      }
      const reports = `a ${'19ms a '.repeat(12)}`
      const out = cold(reports, { a: up('a') }).pipe(awaitStable({ stat, windowMs: 100, scheduler: ts }))
      // Stats at 0, 100, 200, 300 (size 250) and 400 (agrees): out at 400, once.
      expectObservable(out).toBe('400ms x', { x: { path: 'a', entry: file('a', 250, 250) } })
    })
    expect(stats).toBe(5)
  })

  it('a removal reported while the path is checked is kept in its result', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      const stat = () => of(file('a', 1, Math.min(ts.now(), 50)))
      const remove: Change = { type: 'remove', path: 'a' as RelPath }
      const out = cold('a 29ms r', { a: up('a'), r: remove }).pipe(awaitStable({ stat, windowMs: 100, scheduler: ts }))
      // Stats at 0 (mtime 0), 100 (mtime 50: changed), 200 (agrees).
      expectObservable(out).toBe('200ms x', { x: { path: 'a', entry: file('a', 1, 50), removed: true } })
    })
  })

  // Review 28: a report joined the check under way even while that check's stat ran; a stat that
  // saw the file before that write then settled the check with the old size, and the write was
  // heard of no more (nothing synced it until the next rescan).
  it('a path reported again while its stat runs is looked at again, not settled by what that stat saw', () => {
    const ts = newScheduler()
    ts.run(({ cold, expectObservable }) => {
      // Written at 0, then again at 160 (reported at 170); a stat sees the file as it is when it
      // starts and answers 50 ms later (a slow disk, a grpc:// source).
      const stat = () => {
        const seen = ts.now() < 160 ? file('a', 1, 0) : file('a', 2, 160)
        return timer(50).pipe(map(() => seen))
      }
      const out = cold('a 169ms a', { a: up('a') }).pipe(awaitStable({ stat, windowMs: 100, scheduler: ts }))
      // Stats from 0 (mtime 0, too young), 150 (agrees, but reported again meanwhile), 200 (size 2,
      // too young), 350 (agrees): out at 400, with the second write.
      expectObservable(out).toBe('400ms x', { x: { path: 'a', entry: file('a', 2, 160) } })
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
