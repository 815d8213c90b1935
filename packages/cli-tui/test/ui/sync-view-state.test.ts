import { describe, expect, it } from 'vitest'
import { SyncViewState } from '../../src/ui/sync-view-state.js'
import { action, failed, summary, transferEvents } from './fixtures.js'

describe('SyncViewState', () => {
  it('counts planned, running and done files and bytes, and the queue', () => {
    const s = new SyncViewState(false)
    const [planned, started, progress] = transferEvents('copy', 'a', 1000)
    s.add(planned!)
    s.add({ type: 'planned', ts: 0, action: action('update', 'b', 500) })
    expect(s.view()).toMatchObject({ phase: 'running', filesPlanned: 2, bytesPlanned: 1500, queued: 2, inFlight: 0 })
    s.add(started!)
    s.add(progress!)
    expect(s.view()).toMatchObject({ queued: 1, inFlight: 1, bytesDone: 500 })
    expect(s.view().transfers).toEqual([{ path: 'a', kind: 'copy', bytes: 500, total: 1000, startedAt: 0 }])
    s.add(transferEvents('copy', 'a', 1000)[3]!)
    expect(s.view()).toMatchObject({ inFlight: 0, filesDone: 1, bytesDone: 1000, counts: { copied: 1 } })
  })

  it('keeps the latest errors and counts them all', () => {
    const s = new SyncViewState(false, { maxErrors: 2 })
    for (const p of ['x', 'y', 'z']) s.add(failed(p))
    const v = s.view()
    expect(v.errorCount).toBe(3)
    expect(v.errors.map((e) => e.path)).toEqual(['y', 'z'])
    expect(v.counts.failed).toBe(3)
  })

  it('does not count an interruption as a failure', () => {
    const s = new SyncViewState(false)
    s.add(failed('a', 'ABORTED', 'interrupted'))
    expect(s.view()).toMatchObject({ errorCount: 0, counts: { failed: 0 } })
  })

  it('ends a one-shot run at its done', () => {
    const s = new SyncViewState(false)
    for (const e of transferEvents('delete', 'gone')) s.add(e)
    s.add({ type: 'done', ts: 1, summary: summary({ unchanged: 7 }) })
    expect(s.view()).toMatchObject({ phase: 'done', counts: { deleted: 1, unchanged: 7 }, final: { mode: 'mirror' } })
  })

  it('adds up the cycles of a watch: idle between cycles, done at the job summary', () => {
    const s = new SyncViewState(true)
    for (const e of transferEvents('copy', 'a')) s.add(e)
    s.add({ type: 'done', ts: 1, summary: summary({ done: { ...summary().done, copy: 1 } }) })
    expect(s.view()).toMatchObject({ phase: 'idle', cycles: [{ n: 1, text: expect.stringContaining('1 copied') }] })
    const before = s.view().cycles
    expect(s.view().cycles).toBe(before) // unchanged list, same array (Static prints nothing new)
    for (const e of transferEvents('move', 'b')) s.add(e)
    expect(s.view().phase).toBe('running')
    s.add({ type: 'done', ts: 2, summary: summary() })
    s.add({ type: 'done', ts: 3, summary: summary({ mode: 'watch', interrupted: true }) })
    const v = s.view()
    expect(v).toMatchObject({ phase: 'done', counts: { copied: 1, moved: 1 }, final: { mode: 'watch' } })
    expect(v.cycles).toHaveLength(2)
  })

  it('keeps the latest notices', () => {
    const s = new SyncViewState(true, { maxNotices: 1 })
    s.add({ type: 'notice', ts: 0, code: 'POLLING', message: 'polling' })
    s.add({ type: 'notice', ts: 0, code: 'MAX_DELETE', message: 'too many' })
    expect(s.view().notices).toEqual([{ code: 'MAX_DELETE', message: 'too many' }])
  })
})
