import type { SyncEvent } from '@syncflow/core'
import { Subject } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { SyncEventHub } from '../../src/ui/sync-event-hub.js'
import { summary, transferEvents } from './fixtures.js'

describe('SyncEventHub', () => {
  it('runs at once, replays what came before each late subscriber until sealed, then passes live events', () => {
    const run = new Subject<SyncEvent>()
    const hub = new SyncEventHub(run)
    expect(run.observed).toBe(true)
    const [planned, started, progress, completed] = transferEvents('copy', 'a')
    run.next(planned!)
    const a: string[] = []
    const b: string[] = []
    hub.events.subscribe({ next: (e) => a.push(e.type) })
    run.next(started!)
    hub.events.subscribe({ next: (e) => b.push(e.type) })
    hub.seal()
    run.next(progress!)
    const late: string[] = []
    hub.events.subscribe({ next: (e) => late.push(e.type) })
    run.next(completed!)
    expect(a).toEqual(['planned', 'started', 'progress', 'completed'])
    expect(b).toEqual(['planned', 'started', 'progress', 'completed'])
    expect(late).toEqual(['completed'])
  })

  it('keeps the last summary and says when the run ended', async () => {
    const run = new Subject<SyncEvent>()
    const hub = new SyncEventHub(run)
    run.next({ type: 'done', ts: 0, summary: summary({ unchanged: 3 }) })
    run.complete()
    await hub.ended
    expect(hub.summary?.unchanged).toBe(3)
    let completed = false
    hub.events.subscribe({ complete: () => (completed = true) })
    expect(completed).toBe(true)
  })

  it('stops the run on close', () => {
    const run = new Subject<SyncEvent>()
    const hub = new SyncEventHub(run)
    hub.close()
    expect(run.observed).toBe(false)
  })
})
