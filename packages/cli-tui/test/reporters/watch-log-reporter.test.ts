import { type SyncEvent, VANISHED_HINT } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import type { Streams } from '../../src/output/streams.js'
import { WatchLogReporter } from '../../src/reporters/watch-log-reporter.js'
import { failed, summary, transferEvents } from '../ui/fixtures.js'

function streams(tty: boolean) {
  const out = { stdout: '', stderr: '' }
  const s: Streams = {
    stdout: { write: (t: string) => (out.stdout += t), isTTY: tty },
    stderr: { write: (t: string) => (out.stderr += t), isTTY: tty },
  }
  return { s, out }
}

/** A listing that failed with a TRANSIENT error whose hint is 'Check the server.'. */
const listingDown = (message: string): SyncEvent => ({
  type: 'failed',
  ts: 0,
  path: '',
  stage: 'list',
  error: { code: 'TRANSIENT', message, hint: 'Check the server.' },
})

describe('WatchLogReporter', () => {
  it('logs the initial sync, busy cycles only, failures, and the job summary', () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    r.started('/a', '/b')
    r.event({ type: 'done', ts: 0, summary: summary() })
    r.event({ type: 'done', ts: 0, summary: summary() })
    for (const e of transferEvents('copy', 'x')) r.event(e)
    r.event(failed('y'))
    r.event({ type: 'done', ts: 0, summary: summary({ done: { ...summary().done, copy: 1 }, failed: 1 }) })
    r.event({ type: 'done', ts: 0, summary: summary({ mode: 'watch', interrupted: true }) })
    r.end(summary({ mode: 'watch', interrupted: true }))
    const lines = out.stderr.trim().split('\n')
    expect(lines[0]).toBe('watching /a → /b (Ctrl-C to stop)')
    expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d initial sync: nothing to do/)
    expect(lines[2]).toBe('failed   y: permission denied')
    expect(lines[3]).toMatch(/#3: 1 copied, 1 failed/)
    expect(out.stderr).toContain('Stopped: what finished is saved; watching again resumes from there.')
    expect(out.stdout).toBe('') // a terminal gets no per-file lines without -v
  })

  // Review of watch: a burst of short-lived files (a build, a `git checkout`) printed a failed line
  // per copy whose source was gone before it was read, a note that deletes were held, and `N failed`
  // on the cycle's line; the watch tries them again and finds them gone, and its summary counts none.
  it('says nothing of copies whose source vanished (with -v, each), and their cycle has no failure', () => {
    const vanished = (path: string): SyncEvent => ({
      type: 'failed',
      ts: 0,
      path,
      stage: 'transfer',
      error: { code: 'NOT_FOUND', message: 'the source file is gone since it was listed', hint: VANISHED_HINT },
    })
    const cycle = (r: WatchLogReporter, extra?: SyncEvent) => {
      for (const e of transferEvents('copy', 'kept')) r.event(e)
      r.event(vanished('tmp1'))
      r.event(vanished('tmp2'))
      if (extra) r.event(extra)
      const failedN = extra ? 3 : 2
      const message = `${failedN} failed item(s): 1 delete(s) not run`
      r.event({ type: 'notice', ts: 0, code: 'DELETES_SUPPRESSED', message })
      const codes = extra ? { NOT_FOUND: 2, PERMISSION: 1 } : { NOT_FOUND: 2 }
      const done = { ...summary().done, copy: 1 }
      const s = summary({ done, failed: failedN, skipped: 1, errorCodes: codes, deletesSuppressed: message })
      r.event({ type: 'done', ts: 0, cycle: 2, trigger: 'changes', summary: s })
    }
    const quiet = streams(true)
    cycle(new WatchLogReporter(quiet.s, { dryRun: false, quiet: false, verbose: false }))
    expect(quiet.out.stderr).not.toContain('tmp1')
    expect(quiet.out.stderr).not.toContain('note:')
    expect(quiet.out.stderr).not.toContain('failed')
    expect(quiet.out.stderr).toMatch(/#2: 1 copied, 1 skipped/)

    const verbose = streams(true)
    cycle(new WatchLogReporter(verbose.s, { dryRun: false, quiet: false, verbose: true }))
    expect(verbose.out.stderr).toMatch(/^failed\s+tmp1: the source file is gone/m)
    expect(verbose.out.stderr).toContain('note: 2 failed item(s): 1 delete(s) not run')

    // Another failure in the cycle: it is said, with the note (the vanished copies still are not).
    const mixed = streams(true)
    cycle(new WatchLogReporter(mixed.s, { dryRun: false, quiet: false, verbose: false }), failed('locked'))
    expect(mixed.out.stderr).not.toContain('tmp1')
    expect(mixed.out.stderr).toContain('failed   locked: permission denied')
    expect(mixed.out.stderr).toContain('note: 3 failed item(s): 1 delete(s) not run')
    expect(mixed.out.stderr).toMatch(/#2: 1 copied, .*1 failed/)
  })

  // Review 38: a busy file renamed (`mv a b` while b is written) holds a's delete back for every
  // cycle b's copy fails: each printed "fix what failed (above), or --exclude it" (sync's hint, for
  // deletes a watch runs by itself once the copy lands) under its note, cycle after cycle.
  it("says how a watch runs held deletes once per run of failing cycles, in a watch's words", () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    const heldCycle = () => {
      r.event(failed('b', 'CONFLICT', 'the source file changed since it was listed'))
      r.event({ type: 'notice', ts: 0, code: 'DELETES_SUPPRESSED', message: '1 failed item(s): 1 delete(s) not run' })
      r.event({ type: 'done', ts: 0, summary: summary({ failed: 1, skipped: 1 }) })
    }
    heldCycle()
    heldCycle()
    const hints = () => out.stderr.split('\n').filter((l) => l.startsWith('  They run'))
    expect(out.stderr.match(/note: 1 failed item\(s\): 1 delete\(s\) not run/g)).toHaveLength(2)
    expect(hints()).toEqual([
      '  They run with the first later try of what failed that succeeds: the watch tries again by itself what may pass (a file being written, a permission, a server); what keeps failing, fix (above) or --exclude.',
    ])
    // A cycle without failures ends the run: the next hold says it again.
    r.event({ type: 'done', ts: 0, summary: summary({ done: { ...summary().done, copy: 1 } }) })
    heldCycle()
    expect(hints()).toHaveLength(2)
  })

  // QA 32b: a policy refusing one prefix printed a line per file under it, every cycle.
  it('lists the first refused files of a cycle, then one per directory, and counts the rest at its end', () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    for (let cycle = 0; cycle < 2; cycle++) {
      for (let i = 0; i < 20; i++) r.event(failed(`locked/${i}`, 'AUTH', 'AccessDenied'))
      r.event({ type: 'done', ts: 0, summary: summary({ failed: 20 }) })
    }
    const lines = out.stderr.trim().split('\n')
    const cycle = [
      ...[0, 1, 2, 3, 4].map((i) => `failed   locked/${i}: AccessDenied`),
      'note: 15 more refused file(s) not listed, in locked/ (15) (-v or --json lists each)',
    ]
    expect(lines.filter((l) => !/^\d\d:/.test(l))).toEqual([...cycle, ...cycle])
  })

  it("lists a cycle's single refused file past the bound instead of counting it", () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    for (let i = 0; i < 6; i++) r.event(failed(`locked/${i}`, 'AUTH', 'AccessDenied'))
    r.event({ type: 'done', ts: 0, summary: summary({ failed: 6 }) })
    const lines = out.stderr.trim().split('\n')
    expect(lines.filter((l) => !/^\d\d:/.test(l))).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `failed   locked/${i}: AccessDenied`),
    )
  })

  // QA 6 F7: `sync` printed the hint of a listing failure, `watch` left it out.
  it("prints a listing failure's hint as sync does; a file's own only with -v", () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    const hint = 'Rename the file, or exclude it with --exclude.'
    const listed: SyncEvent = {
      type: 'failed',
      ts: 0,
      path: 'caf\ufffd.txt',
      stage: 'list',
      side: 'source',
      error: { code: 'INVALID_PATH', message: 'unsafe name skipped: name is not valid UTF-8', hint },
    }
    r.event(listed)
    r.event({ ...failed('y'), error: { code: 'PERMISSION', message: 'permission denied', hint: 'Check its mode.' } })
    expect(out.stderr.split('\n')).toEqual([
      'failed   caf\ufffd.txt: unsafe name skipped: name is not valid UTF-8',
      `  ${hint}`,
      'failed   y: permission denied',
      '',
    ])
  })

  it('a side that could not be listed is named, not an empty path; a TRANSIENT hint is printed once', () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    const down = listingDown('TRANSIENT: grpc.list: No connection established')
    r.event(down)
    r.event(down)
    expect(out.stderr).toBe(
      'failed   (list): TRANSIENT: grpc.list: No connection established\n  Check the server.\n' +
        'failed   (list): TRANSIENT: grpc.list: No connection established\n',
    )
  })

  // QA 11 #8: the hint was said once per job, so a server gone away again a day later got none.
  it('says a TRANSIENT hint again in the next outage, after a cycle without failures', () => {
    const { s, out } = streams(true)
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    const down = listingDown('TRANSIENT: grpc.watch: lost the connection')
    r.event(down)
    r.event({ type: 'done', ts: 0, cycle: 2, summary: summary({ failed: 1 }) })
    r.event(down)
    r.event({ type: 'done', ts: 0, cycle: 3, summary: summary({ done: { ...summary().done, copy: 1 } }) })
    r.event(down)
    expect(out.stderr.split('\n').filter((l) => l === '  Check the server.')).toHaveLength(2)
  })

  it('lists actions on stdout when it is not a terminal, and says nothing but errors with -q', () => {
    const piped = streams(false)
    const r = new WatchLogReporter(piped.s, { dryRun: false, quiet: false, verbose: false })
    for (const e of transferEvents('copy', 'x')) r.event(e)
    expect(piped.out.stdout).toContain('x')
    const quiet = streams(false)
    const q = new WatchLogReporter(quiet.s, { dryRun: false, quiet: true, verbose: false })
    q.started('/a', '/b')
    for (const e of transferEvents('copy', 'x')) q.event(e)
    q.event({ type: 'done', ts: 0, summary: summary() })
    q.event(failed('y'))
    q.end(summary({ mode: 'watch' }))
    expect(quiet.out).toEqual({ stdout: '', stderr: 'failed   y: permission denied\n' })
  })

  it("a guard's held-back deletes are one note per cycle, not a line each (unless -v)", () => {
    const guard = 'the source is empty: refusing to delete all 3 file(s) of the target'
    const cycle = (r: WatchLogReporter) => {
      r.event({ type: 'notice', ts: 0, code: 'EMPTY_SOURCE', message: `${guard} (use --allow-empty-source)` })
      for (const path of ['a', 'b', 'c']) {
        r.event({
          type: 'skipped',
          ts: 0,
          path,
          reason: guard,
          action: { kind: 'delete', path, reason: 'not in source' } as never,
        })
      }
      r.event({ type: 'done', ts: 0, summary: summary({ skipped: 3 }) })
    }
    const plain = streams(true)
    const r = new WatchLogReporter(plain.s, { dryRun: false, quiet: false, verbose: false })
    cycle(r)
    cycle(r)
    expect(plain.out.stderr).not.toContain('skipped  ')
    expect(plain.out.stderr.match(/note: the source is empty/g)).toHaveLength(2)
    const verbose = streams(true)
    cycle(new WatchLogReporter(verbose.s, { dryRun: false, quiet: false, verbose: true }))
    expect(verbose.out.stderr.match(/skipped {2}/g)).toHaveLength(3)
  })
  it("a two-way watch's guard notes say which side is which and how to get on; a one-way watch's keep sync's words", () => {
    const notes: SyncEvent[] = [
      {
        type: 'notice',
        ts: 0,
        code: 'MAX_DELETE',
        message: '19 deletes (82.6% of the target) exceed --max-delete 50%: none run',
      },
      {
        type: 'notice',
        ts: 0,
        code: 'EMPTY_SOURCE',
        message: 'the source is empty: refusing to delete all 65 file(s) of the target',
      },
    ]
    // A two-way pass's notes name the sides as the bisync guard does.
    const twoWayNotes = notes.map((n) =>
      n.type === 'notice' ? { ...n, message: n.message.replace('the target', 'B').replace('the source', 'A') } : n,
    )
    const twoWay = streams(true)
    const r = new WatchLogReporter(twoWay.s, { dryRun: false, quiet: false, verbose: false })
    r.started('/a', '/b', true)
    for (const e of twoWayNotes) r.event(e)
    expect(twoWay.out.stderr).toContain('A is empty: refusing to delete all 65 file(s) of B')
    expect(twoWay.out.stderr).toContain('Nothing is written meanwhile to the side the files went from')
    expect(twoWay.out.stderr).toContain('start again with --allow-empty-source')
    expect(twoWay.out.stderr).not.toMatch(/"the (source|target)"/)
    expect(twoWay.out.stderr).not.toContain('Check the source first')
    const oneWay = streams(true)
    const o = new WatchLogReporter(oneWay.s, { dryRun: false, quiet: false, verbose: false })
    o.started('/a', '/b')
    for (const e of notes) o.event(e)
    expect(oneWay.out.stderr).toContain('Check the source first')
    expect(oneWay.out.stderr).not.toContain('the other side lost')
  })
})
