import { Subject, VirtualTimeScheduler } from 'rxjs'
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

  it('reports a name made with a control character at once, as a listing would, unless the filters exclude it', () => {
    const events = new Subject<Change>()
    const seen: string[] = []
    const errors: string[] = []
    const sub = watchChanges(watching(events), {
      filter: createPathFilter({ exclude: ['*.tmp'] }),
      onNotice: () => {},
      onError: (e) => errors.push(`${e.code} ${e.path} ${e.message} | ${e.hint}`),
    }).subscribe((c) => seen.push(c.path))
    for (const path of ['kee\tp', 'odd\t.tmp', 'ok']) events.next({ type: 'upsert', path: path as RelPath })
    sub.unsubscribe()
    expect(seen).toEqual(['ok'])
    expect(errors).toEqual([
      'INVALID_PATH kee\tp INVALID_PATH: watch (kee\tp): unsafe name skipped: control character in name | Rename the file, or exclude it with --exclude.',
    ])
  })

  it("passes a directory's change under an --include that matches only files inside it", () => {
    const events = new Subject<Change>()
    const seen: string[] = []
    const sub = watchChanges(watching(events), {
      filter: createPathFilter({ include: ['*.md'] }),
      onNotice: () => {},
    }).subscribe((c) => seen.push(`${c.type} ${c.path}`))
    events.next({ type: 'remove', path: 'a' as RelPath })
    events.next({ type: 'upsert', path: 'b' as RelPath })
    events.next({ type: 'upsert', path: 'b/x.md' as RelPath })
    sub.unsubscribe()
    expect(seen).toEqual(['remove a', 'upsert b', 'upsert b/x.md'])
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

  it('falls back to polling, saying so once, when the events are unavailable (watches exhausted)', () => {
    const events = new Subject<Change>()
    const notices: string[] = []
    const sub = watchChanges(watching(events), {
      onNotice: (code, m) => notices.push(`${code} ${m}`),
      pollMs: 60_000,
    }).subscribe()
    events.error(Object.assign(new Error('ENOSPC: watches exhausted'), { code: 'ENOSPC' }))
    sub.unsubscribe()
    expect(notices).toEqual([expect.stringMatching(/^POLLING .*ENOSPC/)])
  })

  it('events that end on their own come back: said once, re-subscribed after a wait, then a rescan', async () => {
    const streams: Subject<Change>[] = []
    const src = createMemBackend()
    Object.assign(src, {
      watch: () => {
        const s = new Subject<Change>()
        streams.push(s)
        return s.asObservable()
      },
    })
    Object.defineProperty(src, 'capabilities', { value: { ...src.capabilities, watch: 'native' } })
    // Virtual time: each wait runs when flushed, and `now()` tells how long it was.
    const scheduler = new VirtualTimeScheduler()
    const abort = new AbortController()
    const seen: string[] = []
    const errors: string[] = []
    const notices: string[] = []
    let resyncs = 0
    let completed = false
    watchChanges(src, {
      onNotice: (code) => notices.push(code),
      onError: (e) => errors.push(e.message),
      onResync: () => resyncs++,
      retryMs: 100,
      signal: abort.signal,
      scheduler,
    }).subscribe({ next: (c) => seen.push(c.path), complete: () => (completed = true) })
    expect(streams).toHaveLength(1)

    streams[0]?.complete()
    expect(errors).toEqual([expect.stringMatching(/^TRANSIENT: watch: the change events of mem:\/\/.* ended$/)])
    expect(streams).toHaveLength(1) // not before the wait
    scheduler.flush()
    expect(scheduler.now()).toBe(100)
    await expect.poll(() => streams.length).toBe(2)
    expect(resyncs).toBe(1)
    streams[1]?.next({ type: 'upsert', path: 'back' as RelPath })
    expect(seen).toEqual(['back'])

    // It ends again after delivering: another outage, said again, the same wait.
    streams[1]?.complete()
    expect(errors).toHaveLength(2)
    scheduler.flush()
    expect(scheduler.now()).toBe(200)
    await expect.poll(() => streams.length).toBe(3)
    // Back, it ends at once with nothing delivered: the same outage, so not said again, and a longer wait.
    streams[2]?.complete()
    scheduler.flush()
    expect(scheduler.now()).toBe(400)
    await expect.poll(() => streams.length).toBe(4)
    expect(errors).toHaveLength(2)
    expect(resyncs).toBe(3)
    expect(notices).toEqual([])

    // Stopping: the stream ends and nothing follows.
    abort.abort()
    streams[3]?.complete()
    scheduler.flush()
    expect(completed).toBe(true)
    expect(streams).toHaveLength(4)
    expect(errors).toHaveLength(2)
  })
})
