import { defer, of, throwError } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { SyncError } from '../src/index.js'
import { retryTransient } from '../src/operators/retry-transient.js'

const scheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b))

describe('retryTransient', () => {
  it('retries TRANSIENT errors with growing delays, then succeeds', () => {
    scheduler().run(({ expectObservable }) => {
      let attempts = 0
      const src = defer(() => (++attempts < 3 ? throwError(() => new SyncError('TRANSIENT', 'slow down')) : of('ok')))
      // random() = 1 → full delay: 100 ms, then 200 ms.
      const out = src.pipe(retryTransient({ count: 3, delayMs: 100, random: () => 1 }))
      expectObservable(out).toBe('300ms (a|)', { a: 'ok' })
    })
  })

  it('waits for a location that cannot be reached at least half of each doubled step (1.75 to 3.5 s by default), never ~0', () => {
    scheduler().run(({ expectObservable }) => {
      const err = new SyncError('TRANSIENT', 'cannot connect to h:1', { op: 'x.write', unreachable: 'h:1' })
      // random() = 0 → the least: 100, 200 and 400 ms (full jitter would give 0 each).
      const out = throwError(() => err).pipe(retryTransient({ count: 3, delayMs: 100, random: () => 0 }))
      expectObservable(out).toBe(
        '700ms #',
        undefined,
        expect.objectContaining({ code: 'TRANSIENT', unreachable: 'h:1' }),
      )
    })
  })

  it('gives up after count retries with the first error, saying how many attempts were made', () => {
    scheduler().run(({ expectObservable }) => {
      const err = new SyncError('TRANSIENT', 'down', { op: 'x.write', path: 'a', hint: 'Try later.' })
      const out = throwError(() => err).pipe(retryTransient({ count: 2, delayMs: 10, random: () => 1 }))
      expectObservable(out).toBe(
        '30ms #',
        undefined,
        expect.objectContaining({
          code: 'TRANSIENT',
          op: 'x.write',
          path: 'a',
          message: 'TRANSIENT: x.write (a): down; gave up after 3 attempts',
          hint: 'Try later.',
        }),
      )
    })
  })

  it('keeps what failed first (a stalled write), adding how the last attempt failed when it differs', () => {
    scheduler().run(({ expectObservable }) => {
      let attempts = 0
      const src = defer(() =>
        throwError(() =>
          ++attempts === 1
            ? new SyncError('TRANSIENT', 'nothing for 3 s (I/O timeout)', { op: 'g.write', path: 'big' })
            : new SyncError('TRANSIENT', attempts === 2 ? 'nothing for 3 s (I/O timeout)' : 'refused', {
                op: 'g.stat',
                path: 'big',
              }),
        ),
      )
      const out = src.pipe(retryTransient({ count: 2, delayMs: 10, random: () => 1 }))
      expectObservable(out).toBe(
        '30ms #',
        undefined,
        expect.objectContaining({
          op: 'g.write',
          message:
            'TRANSIENT: g.write (big): nothing for 3 s (I/O timeout); gave up after 3 attempts, the last: TRANSIENT: g.stat (big): refused',
        }),
      )
    })
  })

  it('a non-TRANSIENT error on a later attempt passes through unchanged', () => {
    scheduler().run(({ expectObservable }) => {
      let attempts = 0
      const gone = new SyncError('NOT_FOUND', 'gone', { op: 'x.stat', path: 'a' })
      const src = defer(() => throwError(() => (++attempts === 1 ? new SyncError('TRANSIENT', 'down') : gone)))
      expectObservable(src.pipe(retryTransient({ count: 3, delayMs: 10, random: () => 1 }))).toBe(
        '10ms #',
        undefined,
        gone,
      )
    })
  })

  it('does not retry other codes', () => {
    scheduler().run(({ expectObservable }) => {
      let _attempts = 0
      const err = new SyncError('AUTH', 'bad key')
      const out = defer(() => {
        _attempts++
        return throwError(() => err)
      }).pipe(retryTransient({ count: 5, delayMs: 10 }))
      expectObservable(out).toBe('#', undefined, err)
    })
  })

  it('leaves nothing scheduled when unsubscribed during a backoff', () => {
    const ts = scheduler()
    ts.run(({ expectObservable }) => {
      const out = throwError(() => new SyncError('TRANSIENT', 'x')).pipe(
        retryTransient({ count: 5, delayMs: 1000, random: () => 1 }),
      )
      expectObservable(out, '^ 500ms !').toBe('')
    })
    expect(ts.actions.length).toBe(0)
  })
})
