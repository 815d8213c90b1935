import { render } from 'ink-testing-library'
import { describe, expect, it } from 'vitest'
import { Dashboard, type DashboardProps, fatalText } from '../../src/ui/Dashboard.js'
import { SyncViewState } from '../../src/ui/sync-view-state.js'
import { action, failed, summary, transferEvents } from './fixtures.js'

/** A busy run: 200 planned, 30 in flight with progress, 12 errors, a notice. */
function busyView() {
  const s = new SyncViewState(false)
  s.add({ type: 'stats', ts: 0, listing: false } as never)
  for (let i = 0; i < 200; i++) s.add({ type: 'planned', ts: 0, action: action('copy', `dir/file-${i}.bin`, 4096) })
  for (let i = 0; i < 30; i++) {
    const [, started, progress] = transferEvents('copy', `dir/file-${i}.bin`, 4096)
    s.add(started!)
    s.add(progress!)
  }
  for (let i = 0; i < 12; i++) s.add(failed(`bad/${i}`))
  s.add({ type: 'notice', ts: 0, code: 'NO_COMMON_HASH', message: 'no common hash: size and mtime compared' })
  return s.view()
}

const base = (over: Partial<DashboardProps>): DashboardProps => ({
  command: 'sync',
  source: '/src',
  target: '/dst',
  view: busyView(),
  throughput: { bytesPerSec: 2_000_000, filesPerSec: 50, etaMs: 30_000, history: [1, 2, 3] },
  columns: 80,
  rows: 24,
  paused: false,
  stopping: false,
  screen: 'dashboard',
  watch: false,
  color: false,
  ...over,
})

const lines = (frame: string | undefined) => (frame ?? '').split('\n')

/** The run of the QA report: 8 of 30 files of 2 MiB done, 3 more half-way, 1m08s to go. */
function halfwayRun(columns: number, rows: number) {
  const MiB = 1024 * 1024
  const s = new SyncViewState(false)
  s.add({ type: 'stats', ts: 0, listing: false } as never)
  const a = (i: number) => action('copy', `photos/2024/img-${i}.jpg`, 2 * MiB)
  for (let i = 0; i < 30; i++) s.add({ type: 'planned', ts: 0, action: a(i) })
  for (let i = 0; i < 8; i++) s.add({ type: 'completed', ts: 0, action: a(i), bytes: 2 * MiB, durationMs: 1 })
  for (let i = 8; i < 11; i++) {
    s.add({ type: 'started', ts: 0, action: a(i) })
    s.add({ type: 'progress', ts: 0, path: a(i).path, bytes: MiB, total: 2 * MiB })
  }
  return lines(
    render(
      <Dashboard
        {...base({
          source: '/home/user/src',
          target: '/mnt/backup/dst',
          view: s.view(),
          throughput: { bytesPerSec: 600_000, filesPerSec: 0.3, etaMs: 68_000, history: [1, 2, 3] },
          columns,
          rows,
        })}
      />,
    ).lastFrame(),
  )
}

describe('Dashboard', () => {
  it('fits a busy run into 80x24 and shows every part', () => {
    const { lastFrame } = render(<Dashboard {...base({})} />)
    const frame = lastFrame() ?? ''
    expect(lines(frame).length).toBeLessThanOrEqual(23)
    expect(Math.max(...lines(frame).map((l) => l.length))).toBeLessThanOrEqual(80)
    for (const s of [
      'syncflow sync',
      '0/200 files',
      'ETA 30s',
      'files/s',
      'queue 170',
      'active 30',
      'In flight (30)',
      'more',
      'Errors (12)',
      'NO_COMMON_HASH',
    ]) {
      expect(frame).toContain(s)
    }
  })

  it('uses the rows of a bigger terminal for more transfers', () => {
    const small = lines(render(<Dashboard {...base({})} />).lastFrame()).length
    const big = lines(render(<Dashboard {...base({ rows: 50, columns: 120 })} />).lastFrame())
    expect(big.length).toBeGreaterThan(small)
    expect(big.length).toBeLessThanOrEqual(49)
  })

  it('still renders on a tiny terminal', () => {
    const frame = render(<Dashboard {...base({ rows: 8, columns: 40 })} />).lastFrame()
    expect(frame).toContain('syncflow sync')
  })

  it('shows the errors and help screens', () => {
    expect(render(<Dashboard {...base({ screen: 'errors' })} />).lastFrame()).toContain('PERMISSION bad/11')
    expect(render(<Dashboard {...base({ screen: 'help' })} />).lastFrame()).toContain('pause / resume')
  })

  it('shows the summary when finished, and the state in the header', () => {
    const s = new SyncViewState(false)
    for (const e of transferEvents('copy', 'a')) s.add(e)
    s.add({ type: 'done', ts: 0, summary: summary({ done: { ...summary().done, copy: 1 }, bytesTransferred: 100 }) })
    const frame = render(<Dashboard {...base({ view: s.view() })} />).lastFrame() ?? ''
    expect(frame).toContain('[done]')
    expect(frame).toContain('Finished: 1 copied, 100 B')
    expect(render(<Dashboard {...base({ stopping: true })} />).lastFrame()).toContain('[stopping…]')
    expect(render(<Dashboard {...base({ paused: true })} />).lastFrame()).toContain('[PAUSED]')
    // Stopping, or ended, says so even while paused.
    expect(render(<Dashboard {...base({ paused: true, stopping: true })} />).lastFrame()).toContain('[stopping…]')
    expect(render(<Dashboard {...base({ view: s.view(), paused: true })} />).lastFrame()).toContain('[done]')
  })

  // At 40 columns the summary was cut to its first line: `Finished: 5 copied, 2 dirs created, 2 f…`,
  // what failed lost; a fatal error's hint likewise.
  it('wraps the summary and the fatal error on a narrow terminal instead of cutting them', () => {
    const s = new SyncViewState(false)
    s.add(failed('f3.txt'))
    s.add(failed('locked'))
    const fatal = { code: 'TRANSIENT', message: 'TRANSIENT: s3.list: the connection was reset; run it again' } as const
    s.add({
      type: 'done',
      ts: 0,
      summary: summary({ done: { ...summary().done, copy: 5, mkdir: 2 }, failed: 2, bytesTransferred: 10, fatal }),
    })
    const frame = lines(
      render(<Dashboard {...base({ view: s.view(), columns: 40, rows: 24, lingering: true })} />).lastFrame(),
    )
    expect(frame.every((l) => l.length <= 40)).toBe(true)
    const text = frame.join('\n')
    expect(text).not.toContain('…')
    expect(text.replace(/\n\s*/g, ' ')).toContain('Finished: 5 copied, 2 dirs created, 2 failed, 10 B in')
    expect(text.replace(/\n\s*/g, ' ')).toContain('TRANSIENT: s3.list: the connection was reset; run it again')
    expect(text).toContain('e: all errors · q: quit')
  })

  it('says what to do after a one-shot run was stopped, not after a stopped watch or dry run', () => {
    const stopped = (over: Parameters<typeof summary>[0]) => {
      const s = new SyncViewState(false)
      s.add({
        type: 'done',
        ts: 0,
        summary: summary({ done: { ...summary().done, copy: 300 }, interrupted: true, ...over }),
      })
      return render(<Dashboard {...base({ view: s.view() })} />).lastFrame() ?? ''
    }
    const frame = stopped({})
    expect(frame).toContain('Stopped: 300 copied')
    expect(frame).toContain('What finished is saved: run the same command again to complete it.')
    expect(stopped({ mode: 'watch' })).not.toContain('run the same command again')
    expect(stopped({ dryRun: true })).not.toContain('run the same command again')
  })

  it("names a listing failure's side, and says the fatal error's code once (QA 10 #8)", () => {
    const s = new SyncViewState(false)
    s.add({ type: 'stats', ts: 0, listing: true } as never)
    const error = { code: 'PERMISSION', message: 'PERMISSION: bad.list: late list failure' } as const
    s.add({ type: 'failed', ts: 0, path: '', stage: 'list', side: 'target', error })
    s.add({ type: 'done', ts: 0, summary: summary({ failed: 1, fatal: error }) })
    const frame = lines(render(<Dashboard {...base({ view: s.view() })} />).lastFrame())
    expect(frame).toContain('PERMISSION: bad.list: late list failure')
    expect(frame.join('\n')).not.toContain('PERMISSION: PERMISSION')
    expect(frame).toContain('✗ PERMISSION (target list): late list failure')
    expect(frame.join('\n')).not.toContain('(run)')
    // A message without the code (an error made without an operation) still gets it.
    expect(fatalText({ code: 'USAGE', message: 'no such job' })).toBe('USAGE: no such job')
  })

  it('while paused: no ETA, and what the pause holds is waiting, not in flight', () => {
    const s = new SyncViewState(false)
    s.add({ type: 'stats', ts: 0, listing: false } as never)
    for (let i = 0; i < 20; i++) s.add({ type: 'planned', ts: 0, action: action('copy', `f${i}`) })
    const [, started, progress] = transferEvents('copy', 'f0', 100, 50)
    s.add(started!)
    s.add(progress!)
    // Paused at 100; the engine starts 8 more, which the gate holds.
    for (let i = 1; i <= 8; i++) s.add({ type: 'started', ts: 100, action: action('copy', `f${i}`) })
    const frame =
      render(
        <Dashboard
          {...base({
            view: s.view(100),
            paused: true,
            throughput: { bytesPerSec: 0, filesPerSec: 0, etaMs: 5600, history: [] },
          })}
        />,
      ).lastFrame() ?? ''
    expect(frame).toContain('[PAUSED]')
    expect(frame).toMatch(/ paused\n/)
    expect(frame).not.toContain('ETA')
    expect(frame).toContain('queue 19  active 1')
    expect(frame).toContain('In flight (1) · 8 waiting for resume')
    expect(frame).toContain('f0')
    for (let i = 1; i <= 8; i++) expect(frame).not.toContain(`f${i} `)
  })

  it('at 40x10 keeps the state, the percentage and the ETA, and cuts no line at its end', () => {
    const screen = halfwayRun(40, 10)
    expect(screen.length).toBeLessThanOrEqual(9)
    expect(screen[0]).toMatch(/^syncflow sync .* → .* \[syncing\]$/)
    expect(screen[1]).toMatch(/^█+░+ 8\/30 files {3}31% {2}ETA 1m08s$/)
    expect(screen.filter((l) => l.startsWith('copy '))).toHaveLength(3)
    for (const line of screen) {
      expect(line.length).toBeLessThan(40)
      expect(line).not.toMatch(/…$/)
    }
  })

  it('at 250 columns keeps the overall bar and each transfer row compact', () => {
    const screen = halfwayRun(250, 20)
    expect(screen[1]).toMatch(/^[█░]{50} 8\/30 files {2}19\.0 MiB\/60\.0 MiB {3}31% {2}ETA 1m08s$/)
    const rows = screen.filter((l) => l.startsWith('copy '))
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      const name = /photos\/2024\/img-\d+\.jpg/.exec(row)![0]
      expect(row.indexOf('█') - (row.indexOf(name) + name.length)).toBeLessThanOrEqual(40)
      expect(row.length).toBeLessThanOrEqual(100)
    }
  })

  // QA 27a: the help screen took 15 rows on a 40x10 terminal: the header went off the top.
  it('fits the help screen below the header on a small terminal, the last row left free', () => {
    const frame = lines(render(<Dashboard {...base({ columns: 40, rows: 10, screen: 'help' })} />).lastFrame())
    expect(frame.length).toBeLessThanOrEqual(9)
    expect(frame[0]).toMatch(/^syncflow sync .*\[syncing\]/)
    expect(frame[1]).toBe('Keys')
  })

  // QA 27a: on a 20x6 terminal the dashboard took more rows than the terminal has, and Ink then
  // cleared the terminal before each frame with ESC [3J, erasing its scrollback (195 lines to 2).
  it('never reaches the last row of a tiny terminal, on any screen, running or finished: the header stays', () => {
    const done = new SyncViewState(false)
    done.add(failed('bad/1'))
    done.add({
      type: 'done',
      ts: 0,
      summary: summary({ failed: 1, fatal: { code: 'TRANSIENT', message: 'gone' } }),
    })
    for (const [columns, rows] of [
      [20, 6],
      [20, 4],
      [30, 7],
      [40, 8],
      [80, 12],
    ] as const) {
      for (const screen of ['dashboard', 'errors', 'help'] as const) {
        for (const view of [busyView(), done.view()]) {
          const frame = lines(
            render(
              <Dashboard {...base({ columns, rows, screen, view, lingering: view.final !== undefined })} />,
            ).lastFrame(),
          )
          expect(frame.length, `${columns}x${rows} ${screen}`).toBeLessThanOrEqual(rows - 1)
          expect(frame[0], `${columns}x${rows} ${screen}`).toMatch(/\[(syncing|failed)\]/)
        }
      }
    }
  })
})
