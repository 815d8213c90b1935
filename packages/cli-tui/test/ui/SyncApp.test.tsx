import type { SyncEvent } from '@syncflow/core'
import { render } from 'ink-testing-library'
import { type ReactNode, useEffect } from 'react'
import { Subject } from 'rxjs'
import { describe, expect, it, vi } from 'vitest'
import { PauseGate } from '../../../core/src/continuous/pause-gate.js'
import { lingersAfterDone, SyncApp } from '../../src/ui/SyncApp.js'
import { action, failed, summary, transferEvents } from './fixtures.js'

/** Says when the tree under it is unmounted (the app left: Ink unmounts on `exit()`). */
function Probe({ children, onUnmount }: { children: ReactNode; onUnmount: () => void }) {
  useEffect(() => onUnmount, [onUnmount])
  return children
}

function app(watch = false, onForceQuit?: () => void, dryRun = false, maxCycles?: number) {
  const events = new Subject<SyncEvent>()
  const gate = new PauseGate()
  const onQuit = vi.fn()
  let left = false
  const ui = render(
    <Probe onUnmount={() => (left = true)}>
      <SyncApp
        events$={events}
        command={watch ? 'watch' : 'sync'}
        source="/src"
        target="/dst"
        watch={watch}
        gate={gate}
        onQuit={onQuit}
        {...(onForceQuit ? { onForceQuit } : {})}
        {...(dryRun ? { dryRun } : {})}
        {...(maxCycles !== undefined ? { maxCycles } : {})}
        color={false}
        frameMs={10}
        sampleMs={20}
        // Frames as fast as they can be drawn (a loaded machine's slow first frame does not hold up the next).
        drawBudget={1}
      />
    </Probe>,
  )
  return { ...ui, events, gate, onQuit, left: () => left }
}
// A generous deadline: frames come every 10 ms here, but a loaded CI machine may be slow to draw them.
const WAIT = { timeout: 10_000 }
const frame = (ui: { lastFrame: () => string | undefined }) => () => ui.lastFrame() ?? ''

describe('SyncApp', () => {
  it('follows the event stream', async () => {
    const ui = app()
    const [planned, started, progress] = transferEvents('copy', 'big.iso', 1 << 20)
    for (const e of [planned!, started!, progress!]) ui.events.next(e)
    ui.events.next({ type: 'planned', ts: 0, action: action('copy', 'next.txt') })
    await expect.poll(frame(ui), WAIT).toContain('In flight (1)')
    expect(frame(ui)()).toContain('big.iso')
    expect(frame(ui)()).toContain('queue 1')
    ui.events.next(failed('locked.db'))
    await expect.poll(frame(ui), WAIT).toContain('PERMISSION locked.db: permission denied')
    ui.unmount()
  })

  // QA: with the screen clipped to the terminal, Ink's slice-ansi counted a zero-width character as a
  // column and cut the last one off each such row ("2.00 Mi").
  it('draws a row whose name holds zero-width characters whole', async () => {
    const ui = app()
    const name = 'soft\u00adhyphen\u200bspace.bin'
    const [planned, started, progress] = transferEvents('copy', name, 4 << 20)
    for (const e of [planned!, started!, progress!]) ui.events.next(e)
    await expect.poll(frame(ui), WAIT).toContain('In flight (1)')
    const row = frame(ui)()
      .split('\n')
      .find((l) => l.includes('space.bin'))
    expect(row).toMatch(/MiB\s*$/)
    ui.unmount()
  })

  it('pauses and resumes with p, shows errors with e and help with ?, Esc goes back', async () => {
    const ui = app()
    ui.events.next({ type: 'planned', ts: 0, action: action('copy', 'a') })
    await expect.poll(frame(ui), WAIT).toContain('[listing]')
    ui.stdin.write('p')
    await expect.poll(frame(ui), WAIT).toContain('[PAUSED]')
    expect(ui.gate.paused).toBe(true)
    ui.stdin.write('p')
    await expect.poll(frame(ui), WAIT).toContain('[listing]')
    ui.stdin.write('e')
    await expect.poll(frame(ui), WAIT).toContain('No errors so far.')
    ui.stdin.write('?')
    await expect.poll(frame(ui), WAIT).toContain('pause / resume')
    ui.stdin.write('\u001b')
    await expect.poll(frame(ui), WAIT).toContain('In flight')
    ui.unmount()
  })

  it('scrolls the errors screen with the keys, and opens it at the newest error again', async () => {
    const ui = app()
    // 30 errors of 3 lines each (head, message, hint): more than a 24-row terminal holds.
    for (let i = 1; i <= 30; i++) {
      ui.events.next({
        type: 'failed',
        ts: 0,
        path: `bad/${i}`,
        stage: 'transfer',
        error: { code: 'PERMISSION', message: `PERMISSION: local.write (bad/${i}): EACCES ${i}`, hint: 'Check it.' },
      })
    }
    await expect.poll(frame(ui), WAIT).toContain('Errors (30)')
    ui.stdin.write('e')
    await expect.poll(frame(ui), WAIT).toMatch(/errors 1–7 of 30 · lines 1–20 of 90 · ↑↓ PgUp PgDn: scroll/)
    expect(frame(ui)()).toContain('✗ PERMISSION bad/30\n  local.write: EACCES 30\n  hint: Check it.')
    ui.stdin.write('j')
    await expect.poll(frame(ui), WAIT).toContain('lines 2–21 of 90')
    ui.stdin.write('\u001b[B') // ↓
    await expect.poll(frame(ui), WAIT).toContain('lines 3–22 of 90')
    ui.stdin.write('\u001b[6~') // PgDn
    await expect.poll(frame(ui), WAIT).toContain('lines 22–41 of 90')
    ui.stdin.write('\u001b[A') // ↑
    await expect.poll(frame(ui), WAIT).toContain('lines 21–40 of 90')
    ui.stdin.write('G')
    await expect.poll(frame(ui), WAIT).toContain('errors 24–30 of 30 · lines 71–90 of 90')
    expect(frame(ui)()).toContain('✗ PERMISSION bad/1\n')
    ui.stdin.write('\u001b[5~') // PgUp
    await expect.poll(frame(ui), WAIT).toContain('lines 52–71 of 90')
    // Back to the dashboard and in again: the newest error first.
    ui.stdin.write('e')
    await expect.poll(frame(ui), WAIT).toContain('In flight')
    ui.stdin.write('e')
    await expect.poll(frame(ui), WAIT).toContain('lines 1–20 of 90')
    ui.unmount()
  })

  it('while paused, shows the transfers the engine starts as waiting, and no ETA', async () => {
    const ui = app()
    ui.events.next({ type: 'stats', ts: 0, listing: false, etaMs: 5600 } as SyncEvent)
    for (let i = 0; i < 10; i++) ui.events.next({ type: 'planned', ts: 0, action: action('copy', `f${i}`) })
    ui.events.next({ type: 'started', ts: 0, action: action('copy', 'f0') })
    await expect.poll(frame(ui), WAIT).toContain('In flight (1)')
    expect(frame(ui)()).toContain('ETA 5.6s')
    ui.stdin.write('p')
    await expect.poll(frame(ui), WAIT).toContain('[PAUSED]')
    // What the engine starts now waits at the pause gate (started after the pause, nothing moved).
    for (let i = 1; i <= 8; i++) ui.events.next({ type: 'started', ts: Date.now(), action: action('copy', `f${i}`) })
    await expect.poll(frame(ui), WAIT).toContain('In flight (1) · 8 waiting for resume')
    expect(frame(ui)()).toContain('queue 9  active 1')
    expect(frame(ui)()).toMatch(/ paused\n/)
    expect(frame(ui)()).not.toContain('ETA')
    ui.stdin.write('p')
    await expect.poll(frame(ui), WAIT).toContain('In flight (9)')
    expect(frame(ui)()).not.toContain('waiting for resume')
    ui.unmount()
  })

  it('asks the run to stop on q, and shows the summary at the end', async () => {
    const ui = app()
    ui.events.next({ type: 'planned', ts: 0, action: action('copy', 'a') })
    ui.events.next({ type: 'stats', ts: 0, listing: false } as SyncEvent)
    await expect.poll(frame(ui), WAIT).toContain('[syncing]')
    ui.stdin.write('q')
    await expect.poll(() => ui.onQuit.mock.calls.length, WAIT).toBe(1)
    await expect.poll(frame(ui), WAIT).toContain('[stopping…]')
    ui.events.next({ type: 'done', ts: 0, summary: summary({ interrupted: true }) })
    ui.events.complete()
    await expect.poll(frame(ui), WAIT).toContain('[interrupted]')
    expect(frame(ui)()).toContain('Stopped: nothing done')
  })

  // QA 27a: keys typed faster than the process reads them come as one chunk ("qq"), which Ink hands
  // over whole: the second q ("again: at once") and the first one did nothing; the run went on.
  // q then Ctrl-C in one chunk: the same.
  it.each([
    ['q q', 'qq'],
    ['q Ctrl-C', 'q\u0003'],
  ])('takes each key of a chunk typed at once: %s stops, then leaves at once', async (_, chunk) => {
    const onForceQuit = vi.fn()
    const ui = app(false, onForceQuit)
    ui.events.next({ type: 'planned', ts: 0, action: action('copy', 'a') })
    await expect.poll(frame(ui), WAIT).toContain('[listing]')
    ui.stdin.write(chunk)
    await expect.poll(() => onForceQuit.mock.calls.length, WAIT).toBe(1)
    expect(ui.onQuit).toHaveBeenCalledTimes(1)
    ui.unmount()
  })

  // QA 27a: `ui -n` showed "[listing]" and "copied 10,485" while it copied nothing, and at its end a
  // bar at 0% beside "2/2 files" (a dry run's transfers move no byte).
  it('says a dry run is one: the header, what it would copy, and a bar through what it planned', async () => {
    const ui = app(false, undefined, true)
    const plan = (path: string) => {
      const a = action('copy', path, 1000)
      ui.events.next({ type: 'planned', ts: 0, action: a })
      ui.events.next({ type: 'completed', ts: 0, action: a, bytes: 0, durationMs: 0, dryRun: true })
    }
    plan('a')
    await expect.poll(frame(ui), WAIT).toContain('[dry run: listing]')
    plan('b')
    ui.events.next({ type: 'stats', ts: 0, listing: false } as SyncEvent)
    await expect.poll(frame(ui), WAIT).toContain('would copy 2  would update 0  would delete 0  would move 0')
    expect(frame(ui)()).not.toContain('copied')
    expect(frame(ui)()).toMatch(/2\/2 files {2}1\.95 KiB\/1\.95 KiB {2}100%/)
    ui.events.next({
      type: 'done',
      ts: 0,
      summary: summary({
        dryRun: true,
        planned: { ...summary().planned, copy: 2 },
        done: { ...summary().done, copy: 2 },
      }),
    })
    ui.events.complete()
    await expect.poll(ui.left, WAIT).toBe(true)
    expect(frame(ui)()).toContain('[dry run: done]')
  })

  it('prints each finished watch cycle once, above the live screen', async () => {
    const ui = app(true)
    for (const e of transferEvents('copy', 'a')) ui.events.next(e)
    ui.events.next({ type: 'done', ts: 0, summary: summary({ done: { ...summary().done, copy: 1 } }) })
    await expect.poll(frame(ui), WAIT).toContain('[watching]')
    for (const e of transferEvents('delete', 'b')) ui.events.next(e)
    ui.events.next({ type: 'done', ts: 0, summary: summary({ done: { ...summary().done, delete: 1 } }) })
    // (the test renderer writes the static part again with every frame; a terminal gets it once)
    await expect.poll(frame(ui), WAIT).toMatch(/#2 1 deleted/)
    expect(frame(ui)().match(/#1 1 copied/g)).toHaveLength(1)
    expect(frame(ui)().indexOf('#1')).toBeLessThan(frame(ui)().indexOf('syncflow watch'))
    ui.unmount()
  })

  // The view keeps the latest cycles only; `<Static>` tells new items by the array's length, so a
  // full list, trimmed as each cycle ends, printed no cycle after it filled.
  it('prints every cycle of a long watch, after the view has trimmed its list of them', async () => {
    const ui = app(true, undefined, false, 3)
    const done = (n: number): SyncEvent => ({
      type: 'done',
      ts: 0,
      cycle: n,
      trigger: 'changes',
      summary: summary({ done: { ...summary().done, copy: n } }),
    })
    // One cycle a frame, then two at once (both end before the next frame).
    for (let n = 1; n <= 8; n++) {
      ui.events.next(done(n))
      await expect.poll(frame(ui), WAIT).toContain(`#${n} ${n} copied`)
    }
    ui.events.next(done(9))
    ui.events.next(done(10))
    await expect.poll(frame(ui), WAIT).toContain('#10 10 copied')
    // (the test renderer writes the static part again with every frame; a terminal gets it once)
    const printed = frame(ui)()
      .split('\n')
      .flatMap((l) => /#(\d+) /.exec(l)?.[1] ?? [])
    expect(printed).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])
    ui.unmount()
  })

  // QA 11 #8: a grpc:// source's server gone away under `ui -w` (its watch lost, then its connection
  // refused) showed `failed 1` beside `Errors (2)`: both failures were counted as the empty path's.
  it("counts a side's failures as the errors list lists them, and no more once a rescan lists both sides", async () => {
    const ui = app(true)
    ui.events.next({ type: 'done', ts: 0, cycle: 1, trigger: 'initial', summary: summary() })
    const side = (message: string): SyncEvent => ({
      type: 'failed',
      ts: 0,
      path: '',
      error: { code: 'TRANSIENT', message },
      stage: 'list',
      side: 'source',
    })
    ui.events.next(side('TRANSIENT: grpc.watch: lost the connection to 127.0.0.1:1'))
    ui.events.next(side('TRANSIENT: grpc.rootExists: cannot connect to 127.0.0.1:1'))
    await expect.poll(frame(ui), WAIT).toContain('Errors (2)')
    expect(frame(ui)()).toContain('failed 2')
    // The same failure again is still one failing thing.
    ui.events.next(side('TRANSIENT: grpc.rootExists: cannot connect to 127.0.0.1:1'))
    await expect.poll(frame(ui), WAIT).toContain('Errors (3)')
    expect(frame(ui)()).toContain('failed 2')
    ui.events.next({ type: 'done', ts: 0, cycle: 2, trigger: 'rescan', summary: summary() })
    await expect.poll(frame(ui), WAIT).toContain('failed 0')
    ui.unmount()
  })

  it('stays after a run with failures until q, so every error can be read with e', async () => {
    const ui = app()
    ui.events.next(failed('locked.db'))
    ui.events.next({ type: 'done', ts: 0, summary: summary({ failed: 1 }) })
    ui.events.complete()
    await expect.poll(frame(ui), WAIT).toContain('e: all errors · q: quit')
    ui.stdin.write('e')
    await expect.poll(frame(ui), WAIT).toContain('e or Esc: back')
    expect(frame(ui)()).toContain('✗ PERMISSION locked.db\n  permission denied')
    expect(ui.left()).toBe(false)
    ui.stdin.write('q')
    await expect.poll(ui.left, WAIT).toBe(true)
    // Leaving a finished run asks nothing of the engine.
    expect(ui.onQuit).not.toHaveBeenCalled()
  })

  it('leaves at once after a run stopped from outside (a signal), failures or not', async () => {
    const ui = app()
    ui.events.next(failed('locked.db'))
    ui.events.next({ type: 'done', ts: 0, summary: summary({ failed: 1, interrupted: true }) })
    ui.events.complete()
    await expect.poll(ui.left, WAIT).toBe(true)
    expect(lingersAfterDone({ phase: 'done', errorCount: 1, final: summary({ failed: 1 }) }, false)).toBe(true)
    expect(lingersAfterDone({ phase: 'done', errorCount: 1, final: summary({ failed: 1 }) }, true)).toBe(false)
    expect(lingersAfterDone({ phase: 'done', errorCount: 0, final: summary() }, false)).toBe(false)
  })

  it('leaves at once after a clean run', async () => {
    const ui = app()
    ui.events.next({ type: 'done', ts: 0, summary: summary() })
    ui.events.complete()
    await expect.poll(ui.left, WAIT).toBe(true)
    expect(frame(ui)()).toContain('[done]')
  })
})
