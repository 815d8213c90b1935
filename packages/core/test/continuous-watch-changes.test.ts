import { Subject } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { watchChanges } from '../src/continuous/watch-changes.js'
import { type Change, createMemBackend, createPathFilter, type RelPath } from '../src/index.js'

function watching(events: Subject<Change>) {
  const src = createMemBackend()
  Object.assign(src, { watch: () => events.asObservable() })
  Object.defineProperty(src, 'capabilities', { value: { ...src.capabilities, watch: 'native' } })
  return src
}

describe('watchChanges', () => {
  it('passes the source events, dropping excluded and unsafe paths', () => {
    const events = new Subject<Change>()
    const seen: string[] = []
    const errors: string[] = []
    const notices: string[] = []
    const sub = watchChanges(watching(events), {
      filter: createPathFilter({ exclude: ['*.tmp'] }),
      onNotice: (code) => notices.push(code),
      onError: (e) => errors.push(e.code),
    }).subscribe((c) => seen.push(c.path))
    for (const path of ['a', 'b.tmp', '../x', 'd/e']) events.next({ type: 'upsert', path: path as RelPath })
    sub.unsubscribe()
    expect(seen).toEqual(['a', 'd/e'])
    expect(errors).toEqual(['INVALID_PATH'])
    expect(notices).toEqual([])
  })

  it('does not fall back to polling when the events end because the job stops', () => {
    const events = new Subject<Change>()
    const abort = new AbortController()
    const notices: string[] = []
    let completed = false
    watchChanges(watching(events), { onNotice: (code) => notices.push(code), signal: abort.signal }).subscribe({
      complete: () => (completed = true),
    })
    abort.abort()
    events.complete()
    expect(completed).toBe(true)
    expect(notices).toEqual([])
  })

  it('falls back to polling, saying so once, when the events fail or end', () => {
    for (const end of ['error', 'complete'] as const) {
      const events = new Subject<Change>()
      const notices: string[] = []
      const sub = watchChanges(watching(events), {
        onNotice: (code, m) => notices.push(`${code} ${m}`),
        pollMs: 60_000,
      }).subscribe()
      if (end === 'error') events.error(Object.assign(new Error('ENOSPC: watches exhausted'), { code: 'ENOSPC' }))
      else events.complete()
      sub.unsubscribe()
      expect(notices).toEqual([expect.stringMatching(end === 'error' ? /^POLLING .*ENOSPC/ : /^POLLING .*stopped/)])
    }
  })
})
