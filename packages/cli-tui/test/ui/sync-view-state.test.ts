import { VANISHED_HINT } from '@syncflow/core'
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
    expect(s.view().transfers).toEqual([
      { path: 'a', kind: 'copy', bytes: 500, total: 1000, startedAt: 0, moving: true },
    ])
    s.add(transferEvents('copy', 'a', 1000)[3]!)
    expect(s.view()).toMatchObject({ inFlight: 0, filesDone: 1, bytesDone: 1000, counts: { copied: 1 } })
  })

  it('while paused, shows what started since the pause without moving a byte as held, not in flight', () => {
    const s = new SyncViewState(false)
    for (const p of ['big', 'small', 'h1', 'h2', 'h3']) s.add({ type: 'planned', ts: 0, action: action('copy', p) })
    // Started before the pause at 100: one moving (a big file reports progress), one not yet.
    s.add({ type: 'started', ts: 90, action: action('copy', 'big') })
    s.add({ type: 'progress', ts: 95, path: 'big', bytes: 50, total: 100 })
    s.add({ type: 'started', ts: 99, action: action('copy', 'small') })
    // Started after it: the pause gate holds them before any I/O.
    for (const p of ['h1', 'h2', 'h3']) s.add({ type: 'started', ts: 100, action: action('copy', p) })
    const paused = s.view(100)
    expect(paused).toMatchObject({ inFlight: 2, held: 3, queued: 0 })
    expect(paused.transfers.map((t) => t.path)).toEqual(['big', 'small'])
    // One that moves after all (a resume and a pause between two frames) is in flight.
    s.add({ type: 'progress', ts: 120, path: 'h1', bytes: 1, total: 100 })
    expect(s.view(100)).toMatchObject({ inFlight: 3, held: 2 })
    // Running again: all in flight.
    const running = s.view()
    expect(running).toMatchObject({ inFlight: 5, held: 0 })
    expect(running.transfers).toHaveLength(5)
    s.add({ type: 'completed', ts: 130, action: action('copy', 'h2'), bytes: 100, durationMs: 1 })
    expect(s.view(100)).toMatchObject({ inFlight: 3, held: 1 })
  })

  it('keeps the latest errors and counts them all', () => {
    const s = new SyncViewState(false, { maxErrors: 2 })
    for (const p of ['x', 'y', 'z']) s.add(failed(p))
    const v = s.view()
    expect(v.errorCount).toBe(3)
    expect(v.errors.map((e) => e.path)).toEqual(['y', 'z'])
    expect(v.counts.failed).toBe(3)
  })

  it('lists the AUTH stop after refused transfers as an error, not as one more failed item', () => {
    const s = new SyncViewState(false)
    for (const p of ['x', 'y', 'z']) s.add(failed(p, 'AUTH', 'AccessDenied'))
    s.add(failed('', 'AUTH', 'stopped: 3 transfers in a row were refused for credentials'))
    expect(s.view()).toMatchObject({ errorCount: 4, counts: { failed: 3 } })
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

  // Review of watch: a copy whose source vanished before it was read (a build's temp file) is tried
  // again and found gone, never completed: it stayed "failing", and `ui --watch` said "failed 56"
  // for good after a build, beside a watch in step.
  it('in a watch, counts no copy whose source vanished as failing, nor its cycle as failed; a one-shot run does', () => {
    const vanished = {
      type: 'failed',
      ts: 0,
      path: 'tmp1',
      stage: 'transfer',
      error: { code: 'NOT_FOUND', message: 'the source file is gone since it was listed', hint: VANISHED_HINT },
    } as const
    const s = new SyncViewState(true)
    for (const e of transferEvents('copy', 'tmp1')) s.add(e)
    s.add(vanished)
    s.add({ type: 'done', ts: 1, summary: summary({ failed: 1, errorCodes: { NOT_FOUND: 1 } }) })
    const v = s.view()
    expect(v.counts.failed).toBe(0)
    expect(v.errors).toEqual([])
    expect(v.transfers).toEqual([])
    expect(v.cycles).toMatchObject([{ failed: false }])
    expect(v.cycles[0]?.text).not.toContain('failed')
    // Another failure of the same cycle is counted as ever.
    s.add(vanished)
    s.add(failed('locked'))
    s.add({ type: 'done', ts: 2, summary: summary({ failed: 2, errorCodes: { NOT_FOUND: 1, PERMISSION: 1 } }) })
    expect(s.view().counts.failed).toBe(1)
    expect(s.view().cycles[1]).toMatchObject({ failed: true, text: expect.stringContaining('1 failed') })

    const once = new SyncViewState(false)
    once.add(vanished)
    expect(once.view().counts.failed).toBe(1)
  })

  // A watch kept every finished cycle, and each cycle's snapshot copied them all: memory grew with
  // the length of the watch.
  it("keeps a long watch's latest cycles only, numbered on, one array per ended cycle", () => {
    const s = new SyncViewState(true, { maxCycles: 3 })
    let before = s.view().cycles
    for (let i = 1; i <= 1000; i++) {
      s.add({ type: 'done', ts: i, summary: summary() })
      const { cycles } = s.view()
      expect(cycles).not.toBe(before)
      expect(s.view().cycles).toBe(cycles)
      before = cycles
    }
    expect(s.view().cycles.map((c) => c.n)).toEqual([998, 999, 1000])
    expect(new SyncViewState(true).view().cycles).toEqual([])
    const defaults = new SyncViewState(true)
    for (let i = 1; i <= 1000; i++) defaults.add({ type: 'done', ts: i, summary: summary() })
    expect(defaults.view().cycles).toHaveLength(100)
    expect(defaults.view().cycles.at(-1)?.n).toBe(1000)
  })

  // QA 25c #3: the job's last done totals every cycle's unchanged files; added on top of the
  // cycles' own, the screen said "unchanged 42" on quitting a watch of 21 files.
  it("counts a watch's unchanged files once: the job summary does not add its cycles' again", () => {
    const s = new SyncViewState(true)
    s.add({ type: 'done', ts: 1, summary: summary({ unchanged: 21 }) })
    s.add({ type: 'done', ts: 2, summary: summary({ unchanged: 3 }) })
    expect(s.view().counts.unchanged).toBe(24)
    s.add({ type: 'done', ts: 3, summary: summary({ mode: 'watch', unchanged: 24, interrupted: true }) })
    expect(s.view()).toMatchObject({ phase: 'done', counts: { unchanged: 24 } })
  })

  it("counts a two-way watch's unchanged files as its last pass found them (each pass compares every file)", () => {
    const s = new SyncViewState(true)
    s.add({ type: 'done', ts: 1, summary: summary({ mode: 'bisync', unchanged: 21 }) })
    s.add({ type: 'done', ts: 2, summary: summary({ mode: 'bisync', unchanged: 22 }) })
    expect(s.view().counts.unchanged).toBe(22)
    s.add({ type: 'done', ts: 3, summary: summary({ mode: 'watch', unchanged: 22, interrupted: true }) })
    expect(s.view()).toMatchObject({ phase: 'done', counts: { unchanged: 22 } })
  })

  it("counts a two-way watch's skipped files (held deletes) as its last pass held them, not once per pass", () => {
    const s = new SyncViewState(true)
    const held = { type: 'skipped', ts: 1, path: 'x', reason: '3 deletes exceed --max-delete 50%: none run' } as const
    for (const ts of [1, 2]) {
      for (let i = 0; i < 3; i++) s.add({ ...held, ts })
      s.add({ type: 'done', ts, summary: summary({ mode: 'bisync', skipped: 3 }) })
    }
    expect(s.view().counts.skipped).toBe(3)
    s.add({ type: 'done', ts: 3, summary: summary({ mode: 'watch', skipped: 3, interrupted: true }) })
    expect(s.view()).toMatchObject({ phase: 'done', counts: { skipped: 3 } })
  })

  it("counts a two-way dry-run watch's would-be copies as its last pass found them, not once per pass", () => {
    const s = new SyncViewState(true)
    const wouldCopy = (path: string, ts: number) =>
      ({ type: 'completed', ts, action: action('copy', path), bytes: 0, durationMs: 0, dryRun: true }) as const
    const passDone = (ts: number, copies: number) =>
      s.add({
        type: 'done',
        ts,
        summary: summary({ mode: 'bisync', dryRun: true, done: { ...summary().done, copy: copies } }),
      })
    for (const p of ['a', 'b']) s.add(wouldCopy(p, 1))
    passDone(1, 2)
    for (const p of ['a', 'b', 'c']) s.add(wouldCopy(p, 2))
    passDone(2, 3)
    expect(s.view().counts.copied).toBe(3)
  })

  it('keeps the latest notices', () => {
    const s = new SyncViewState(true, { maxNotices: 1 })
    s.add({ type: 'notice', ts: 0, code: 'POLLING', message: 'polling' })
    s.add({ type: 'notice', ts: 0, code: 'MAX_DELETE', message: 'too many' })
    expect(s.view().notices).toEqual([{ code: 'MAX_DELETE', message: 'too many' }])
  })

  it('a continuous job counts the paths failing now, not every retry, and an idle job is at 100%', () => {
    const s = new SyncViewState(true)
    // Two cycles retry the same unreadable file; the second also copies another one.
    for (let cycle = 0; cycle < 2; cycle++) {
      s.add({ type: 'planned', ts: 0, action: action('copy', 'bad') })
      s.add({ type: 'started', ts: 0, action: action('copy', 'bad') })
      s.add(failed('bad'))
      if (cycle === 1) for (const e of transferEvents('copy', 'ok')) s.add(e)
      s.add({ type: 'done', ts: 0, summary: summary({ failed: 1 }) })
    }
    const idle = s.view()
    expect(idle.counts).toMatchObject({ failed: 1, copied: 1 })
    expect(idle.filesDone).toBe(idle.filesPlanned)
    expect(idle.errorCount).toBe(2) // the error log keeps each attempt
    // Readable again: copied, and no longer failing.
    for (const e of transferEvents('copy', 'bad')) s.add(e)
    s.add({ type: 'done', ts: 0, summary: summary() })
    expect(s.view().counts).toMatchObject({ failed: 0, copied: 2 })
  })
})
