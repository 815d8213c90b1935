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

  it('gives up after count retries with the last error', () => {
    scheduler().run(({ expectObservable }) => {
      const err = new SyncError('TRANSIENT', 'down')
      const out = throwError(() => err).pipe(retryTransient({ count: 2, delayMs: 10, random: () => 1 }))
      expectObservable(out).toBe('30ms #', undefined, err)
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
