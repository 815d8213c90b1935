import {
  type Action,
  type ActionCounts,
  type RelPath,
  SyncError,
  type SyncEvent,
  type SyncSummary,
} from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { formatError } from '../src/errors/format-error.js'
import { exitCodeForSummary } from '../src/job/exit-code-for-summary.js'
import { formatCompleted, formatFailed, formatPlanned } from '../src/output/format-action.js'
import { formatEntry } from '../src/output/format-entry.js'
import { formatProgressLine } from '../src/output/format-progress-line.js'
import { formatCheckSummary, formatSummary } from '../src/output/format-summary.js'
import { formatBytes, formatDuration } from '../src/output/format-units.js'
import { HumanReporter } from '../src/output/human-reporter.js'
import { NOTICE_HINTS } from '../src/output/notice-hints.js'
import { printable, printableName } from '../src/output/printable.js'
import { ProgressTracker } from '../src/output/progress-tracker.js'

const none: ActionCounts = { copy: 0, update: 0, delete: 0, mkdir: 0, move: 0, touch: 0, conflict: 0, skip: 0 }
const summary = (over: Partial<SyncSummary> = {}): SyncSummary => ({
  mode: 'mirror',
  dryRun: false,
  planned: none,
  done: none,
  unchanged: 0,
  failed: 0,
  skipped: 0,
  bytesTransferred: 0,
  durationMs: 1234,
  bytesPerSec: 0,
  filesPerSec: 0,
  listingErrors: 0,
  notices: 0,
  interrupted: false,
  errorCodes: {},
  ...over,
})
const file = (path: string, size: number) => ({ path: path as RelPath, kind: 'file' as const, size, mtimeMs: 0 })
const copy = (path: string, size: number): Action => ({
  kind: 'copy',
  path: path as RelPath,
  source: file(path, size),
  reason: 'new file',
})

describe('units', () => {
  it('formats bytes and durations', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.50 KiB')
    expect(formatBytes(10 * 1024 ** 2)).toBe('10.0 MiB')
    expect(formatDuration(1500)).toBe('1.5s')
    expect(formatDuration(65_000)).toBe('1m05s')
    expect(formatDuration(3_700_000)).toBe('1h01m')
  })
})

describe('ProgressTracker and the progress line', () => {
  // Stop 35's note: a Ctrl-C's interrupted items were counted as failed by the live line (and the
  // last stats event), where the summary says "interrupted", not "failed".
  it('does not count interrupted (ABORTED) items as failed', () => {
    const t = new ProgressTracker()
    t.apply({ type: 'planned', ts: 0, action: copy('a', 10) })
    t.apply({ type: 'planned', ts: 0, action: copy('b', 10) })
    const failed = (path: string, code: 'ABORTED' | 'TRANSIENT'): SyncEvent => ({
      type: 'failed',
      ts: 5,
      path,
      stage: 'transfer',
      action: copy(path, 10),
      error: { code, message: code === 'ABORTED' ? 'interrupted' : 'timed out' },
    })
    t.apply(failed('a', 'ABORTED'))
    t.apply(failed('b', 'TRANSIENT'))
    expect(t.snapshot(10)).toMatchObject({ planned: 2, done: 0, failed: 1 })
  })

  it('counts planned, done and in-flight bytes between stats events', () => {
    const t = new ProgressTracker()
    const events: SyncEvent[] = [
      { type: 'planned', ts: 1000, action: copy('a', 100) },
      { type: 'planned', ts: 1000, action: copy('b', 300) },
      {
        type: 'stats',
        ts: 1100,
        elapsedMs: 100,
        filesPlanned: 2,
        filesDone: 0,
        bytesPlanned: 400,
        bytesDone: 0,
        bytesPerSec: 100,
        filesPerSec: 0,
        inFlight: 1,
        queued: 1,
        failed: 0,
        listing: false,
      },
      { type: 'completed', ts: 1200, action: copy('a', 100), bytes: 100, durationMs: 200 },
      { type: 'progress', ts: 1300, path: 'b', bytes: 100, total: 300 },
    ]
    for (const e of events) t.apply(e)
    const s = t.snapshot(3000)
    expect(s).toMatchObject({
      planned: 2,
      done: 1,
      bytesPlanned: 400,
      bytesDone: 200,
      bytesPerSec: 100,
      listing: false,
    })
    expect(s.etaMs).toBe(2000)
    expect(formatProgressLine(s, 80)).toBe('1/2 files  200 B/400 B  100 B/s  ETA 2.0s')
  })

  it('counts a delta transfer (fewer bytes sent than its size) to its file size', () => {
    const t = new ProgressTracker()
    t.apply({ type: 'planned', ts: 0, action: copy('big', 50_000) })
    t.apply({ type: 'completed', ts: 10, action: copy('big', 50_000), bytes: 70, durationMs: 10 })
    expect(t.snapshot(20)).toMatchObject({ done: 1, bytesPlanned: 50_000, bytesDone: 50_000 })
  })

  // QA 24b #5: a dry run's "(N B to transfer)" counted a clash --ignore-existing then kept.
  it("sizes a dry run's transfers by what it went through, not by all it planned", () => {
    const t = new ProgressTracker()
    t.apply({ type: 'planned', ts: 0, action: copy('kept-clash', 1000) })
    t.apply({ type: 'planned', ts: 0, action: copy('new', 4) })
    t.apply({ type: 'completed', ts: 10, action: copy('new', 4), bytes: 0, durationMs: 0, dryRun: true })
    expect(t.snapshot(20)).toMatchObject({ bytesPlanned: 1004, bytesWould: 4 })
  })

  it('counts the AUTH stop after refused transfers as no item', () => {
    const t = new ProgressTracker()
    const refused = { code: 'AUTH' as const, message: 'AccessDenied' }
    t.apply({ type: 'failed', ts: 1, path: 'a', stage: 'transfer', action: copy('a', 1), error: refused })
    t.apply({ type: 'failed', ts: 2, path: '', stage: 'transfer', error: { code: 'AUTH', message: 'stopped: …' } })
    expect(t.snapshot(3)).toMatchObject({ failed: 1 })
  })

  // QA 20 F7: the first frames said "0 B/s" beside bytes already copied, and the last "ETA 1.0s"
  // beside every file done.
  it('says no rate before one is measured, and no ETA once everything planned has settled', () => {
    const t = new ProgressTracker()
    t.apply({ type: 'planned', ts: 0, action: copy('a', 100) })
    t.apply({ type: 'completed', ts: 10, action: copy('a', 100), bytes: 100, durationMs: 10 })
    expect(formatProgressLine(t.snapshot(20), 80)).toBe('1/1+ files  100 B/100 B  listing…')
    t.apply({
      type: 'stats',
      ts: 1000,
      elapsedMs: 1000,
      filesPlanned: 1,
      filesDone: 1,
      bytesPlanned: 100,
      bytesDone: 100,
      bytesPerSec: 100,
      filesPerSec: 1,
      etaMs: 1000,
      inFlight: 0,
      queued: 0,
      failed: 0,
      listing: false,
    })
    expect(formatProgressLine(t.snapshot(1000), 80)).toBe('1/1 files  100 B/100 B  100 B/s  1.0s')
  })

  it('cuts the line to the terminal width', () => {
    const t = new ProgressTracker()
    t.apply({ type: 'planned', ts: 0, action: copy('a', 1) })
    expect(formatProgressLine(t.snapshot(0), 12).length).toBeLessThanOrEqual(11)
  })
})

describe('action lines', () => {
  it('says what was done, or would be in a dry run', () => {
    expect(formatCompleted(copy('docs/a b.txt', 1), false)).toBe('copied   docs/a b.txt')
    expect(formatCompleted(copy('x', 1), true)).toBe('would copy   x')
    expect(
      formatPlanned({ kind: 'delete', path: 'old' as RelPath, target: file('old', 1), reason: 'not in source' }),
    ).toBe('delete   old  (not in source)')
  })

  it('says chmod for a mkdir of a directory that exists (its mode differs)', () => {
    const dir = { path: 'd' as RelPath, kind: 'dir' as const, size: 0, mtimeMs: 0, mode: 0o700 }
    const chmod: Action = {
      kind: 'mkdir',
      path: 'd' as RelPath,
      source: dir,
      target: { ...dir, mode: 0o755 },
      reason: 'mode differs',
    }
    expect(formatCompleted(chmod, false)).toBe('chmod    d')
    expect(formatPlanned(chmod)).toBe('chmod    d  (mode differs)')
    expect(formatCompleted({ kind: 'mkdir', path: 'n' as RelPath, source: dir, reason: 'new directory' }, false)).toBe(
      'created  n',
    )
  })

  it('says chmod for a touch of a file for its mode alone, touched for one of its mtime', () => {
    const f = { path: 'f' as RelPath, kind: 'file' as const, size: 3, mtimeMs: 0, mode: 0o600 }
    const chmod: Action = {
      kind: 'touch',
      path: f.path,
      source: f,
      target: { ...f, mode: 0o644 },
      reason: 'mode differs',
    }
    expect(formatCompleted(chmod, false)).toBe('chmod    f')
    expect(formatCompleted(chmod, true)).toBe('would chmod  f')
    expect(formatPlanned(chmod)).toBe('chmod    f  (mode differs)')
    expect(formatCompleted({ ...chmod, reason: 'content equal, mtime differs' }, false)).toBe('touched  f')
  })
})

describe('ls lines', () => {
  // QA 31c: a file whose mtime lies beyond a Date's range (a tmpfs file after `touch -d
  // @10000000000000`) made ls end with "internal error: Invalid time value".
  it('print any mtime a file system can hold, before 1970 and beyond a Date too', () => {
    const line = (mtimeMs: number) => formatEntry({ path: 'f' as RelPath, kind: 'file', size: 2, mtimeMs })
    expect(line(1_600_000_000_000)).toBe(`- ${'2'.padStart(12)}  2020-09-13 12:26:40  f`)
    expect(line(-14_256_000_000)).toContain('  1969-07-20 00:00:00  f')
    expect(line(1e16)).toBe(`- ${'2'.padStart(12)}  @10000000000000  f`)
    expect(line(-1e16)).toContain('  @-10000000000000  f')
    expect(line(Number.NaN)).toContain('  -  f')
  })
})

describe('summaries', () => {
  // QA 23 #9: a dry run that was stopped said "what finished is saved"; it saved nothing.
  it('a stopped dry run does not say that anything was saved', () => {
    expect(formatSummary(summary({ mode: 'watch', interrupted: true }))).toContain('Stopped: what finished is saved')
    expect(formatSummary(summary({ mode: 'watch', interrupted: true, dryRun: true }))).not.toContain('saved')
    expect(formatSummary(summary({ mode: 'mirror', interrupted: true, dryRun: true }))).toContain('Interrupted.')
  })

  it("a watch's total with listing errors does not claim that nothing was deleted (its other cycles did)", () => {
    const listed = { done: { ...none, delete: 3 }, failed: 1, listingErrors: 1 }
    expect(formatSummary(summary({ ...listed, mode: 'watch' }))).toContain(
      '1 listing error: the cycles that met one deleted nothing.',
    )
    expect(formatSummary(summary({ ...listed, mode: 'watch' }))).not.toContain('so nothing was deleted')
    expect(formatSummary(summary({ ...listed, done: none }))).toContain('1 listing error, so nothing was deleted.')
    // Deletes planned and held back for it: said once, by the guard's own sentence.
    const held = formatSummary(
      summary({
        ...listed,
        done: none,
        deletesSuppressed: '1 listing error(s): 3 delete(s) not run, since a part of a tree could not be read',
      }),
    )
    expect(held.match(/listing error/g)).toHaveLength(1)
    expect(held).toContain('Deletes suppressed: 1 listing error(s): 3 delete(s) not run')
    // How to get the deletes run is the note's hint (said once, under the note), not the summary's.
    expect(NOTICE_HINTS.DELETES_SUPPRESSED).toMatch(/fix what failed \(above\), or --exclude it/)
    const reason = '1 failed item(s): 1 delete(s) not run'
    expect(formatSummary(summary({ ...listed, done: none, deletesSuppressed: reason }))).toContain(
      `Deletes suppressed: ${reason}.`,
    )
    // copy never deletes anything, listing error or not.
    expect(formatSummary(summary({ ...listed, done: none, mode: 'copy' }))).not.toContain('deleted')
  })

  it('one paragraph with counts, bytes and throughput', () => {
    const text = formatSummary(
      summary({
        done: { ...none, copy: 3, delete: 1 },
        unchanged: 5,
        bytesTransferred: 2048,
        bytesPerSec: 1024,
        filesPerSec: 2,
      }),
    )
    expect(text).toBe(
      'Done in 1.2s: copied 3 files, deleted 1, 2.00 KiB transferred; 5 unchanged. 1.00 KiB/s, 2.0 files/s.\n',
    )
  })

  it('says a move within one file system moved its files (renamed: no bytes, no rate in bytes), not copied them', () => {
    // 4 files done: 3 linked to their new names and their source names removed, 1 copied whole (its
    // source name removed too), plus 2 unchanged whose source names went.
    const text = formatSummary(
      summary({
        done: { ...none, copy: 4 },
        unchanged: 2,
        sourceRemoved: 6,
        moved: 3,
        bytesTransferred: 10,
        bytesPerSec: 5,
        filesPerSec: 3,
      }),
    )
    expect(text).toBe(
      'Done in 1.2s: copied 1 file, moved 3, 10 B transferred; 2 unchanged. 3 more files removed from the source. 5 B/s, 3.0 files/s.\n',
    )
    const renamedOnly = formatSummary(
      summary({ done: { ...none, copy: 2 }, sourceRemoved: 2, moved: 2, bytesTransferred: 0, filesPerSec: 20 }),
    )
    expect(renamedOnly).toBe('Done in 1.2s: moved 2 files; 0 unchanged. 20 files/s.\n')
    expect(formatCompleted(copy('a/b', 1), false, 'moved')).toBe('moved    a/b')
  })

  it('counts directories as directories, and a mode set on an existing one as chmod', () => {
    const text = formatSummary(
      summary({
        done: { ...none, copy: 1, mkdir: 3 },
        modesSet: { planned: 1, done: 1 },
        unchanged: 2,
      }),
    )
    expect(text).toBe('Done in 1.2s: copied 1 file, created 2 directories, chmod 1 directory; 2 unchanged.\n')
    expect(formatSummary(summary({ done: { ...none, mkdir: 2 }, modesSet: { planned: 2, done: 2 } }))).toMatch(
      /^Done in 1\.2s: chmod 2 directories; 0 unchanged\./,
    )
    expect(
      formatSummary(summary({ dryRun: true, done: { ...none, mkdir: 1 }, modesSet: { planned: 1, done: 1 } })),
    ).toContain('would chmod 1 directory;')
    expect(formatCheckSummary(summary({ planned: { ...none, mkdir: 3 }, modesSet: { planned: 2, done: 0 } }))).toMatch(
      /^3 differences: 1 dir to create, 2 dir modes to set;/,
    )
    expect(formatCheckSummary(summary({ planned: { ...none, mkdir: 3 }, modesSet: { planned: 1, done: 0 } }))).toMatch(
      /^3 differences: 2 dirs to create, 1 dir mode to set;/,
    )
  })

  it('counts a touch of a file for its mode alone as chmod, apart from the touches', () => {
    const fileModesSet = { planned: 3, done: 2 }
    expect(formatSummary(summary({ done: { ...none, touch: 3 }, fileModesSet, unchanged: 1 }))).toMatch(
      /^Done in 1\.2s: touched 1 file, chmod 2; 1 unchanged\./,
    )
    expect(formatSummary(summary({ done: { ...none, touch: 2 }, fileModesSet }))).toMatch(
      /^Done in 1\.2s: chmod 2 files; 0 unchanged\./,
    )
    expect(
      formatSummary(summary({ dryRun: true, done: { ...none, touch: 3 }, fileModesSet: { planned: 3, done: 3 } })),
    ).toContain('would chmod 3 files;')
    expect(formatCheckSummary(summary({ planned: { ...none, touch: 4 }, fileModesSet }))).toMatch(
      /^4 differences: 1 mtime only, 3 modes to set;/,
    )
    expect(
      formatCheckSummary(summary({ planned: { ...none, touch: 1 }, fileModesSet: { planned: 1, done: 0 } })),
    ).toMatch(/^1 difference: 1 mode to set;/)
  })

  it('tells directories from files among touches and deletes', () => {
    const dirActions = { planned: { touch: 0, delete: 0 }, done: { touch: 1, delete: 2 } }
    const text = formatSummary(summary({ done: { ...none, copy: 1, delete: 5, touch: 1 }, dirActions }))
    expect(text).toMatch(/^Done in 1\.2s: copied 1 file, deleted 3 files and 2 directories, touched 1 directory;/)
    const dry = formatSummary(
      summary({
        dryRun: true,
        done: { ...none, delete: 2 },
        dirActions: { planned: { touch: 0, delete: 2 }, done: { touch: 0, delete: 2 } },
      }),
    )
    expect(dry).toContain('would delete 2 directories;')
  })

  it('a run stopped by its fatal error after doing something says what it did, and where the error is', () => {
    const fatal = { code: 'AUTH' as const, message: 'AUTH: s3.list: access denied' }
    const stopped = summary({ done: { ...none, update: 3 }, failed: 1, listingErrors: 1, fatal })
    // A one-shot run prints the error on its own lines (its failure above, or after the summary).
    expect(formatSummary(stopped, 0, 'above')).toBe(
      'Stopped after 1.2s: updated 3 files; 0 unchanged. 1 item failed. 1 listing error, so nothing was deleted. Stopped by the failure above.\n',
    )
    expect(formatSummary(stopped, 0, 'below')).not.toContain('Stopped by')
    expect(formatSummary(stopped, 0, 'below')).not.toContain('access denied')
    // A watch's summary quotes it, as before.
    expect(formatSummary(stopped)).toContain('Stopped: AUTH: s3.list: access denied')
    expect(formatSummary({ ...stopped, dryRun: true }, 0, 'above')).toMatch(
      /^Dry run stopped after 1\.2s, nothing written: would update 3 files;/,
    )
  })

  it('dry runs say nothing was written', () => {
    expect(formatSummary(summary({ dryRun: true, done: { ...none, copy: 2 } }), 10)).toContain(
      'nothing written: would copy 2 files (10 B to transfer)',
    )
  })

  it('failures, guards and interruption are spelled out', () => {
    const text = formatSummary(
      summary({
        failed: 2,
        errorCodes: { PERMISSION: 2 },
        deletesSuppressed: 'more than 5 deletes',
        interrupted: true,
      }),
    )
    expect(text).toContain('2 items failed (PERMISSION 2).')
    expect(text).toMatch(/^Done in 1\.2s: nothing done;/) // not "nothing to do": it all failed
    expect(text).toContain('Deletes suppressed: more than 5 deletes.')
    expect(text).toContain('Interrupted')
  })

  it('a run stopped before anything finished says nothing was done, not that there was nothing to do', () => {
    const text = formatSummary(summary({ planned: { ...none, copy: 1 }, interrupted: true }))
    expect(text).toMatch(/^Done in 1\.2s: nothing done;/)
    expect(text).toContain('Interrupted')
  })

  it('check says in sync or lists the kinds of difference', () => {
    expect(formatCheckSummary(summary({ unchanged: 4 }))).toMatch(/^In sync: 4 files compared/)
    expect(formatCheckSummary(summary({ planned: { ...none, copy: 1, delete: 2 } }))).toMatch(
      /^3 differences: 1 to copy, 2 to delete/,
    )
  })

  // QA 29b: Ctrl-C while check hashed its first files said "In sync: 0 files compared, no differences. Interrupted."
  it('an interrupted check with no difference found yet never says in sync', () => {
    const text = formatCheckSummary(summary({ mode: 'check', dryRun: true, unchanged: 3, interrupted: true }))
    expect(text).not.toMatch(/in sync/i)
    expect(text).toMatch(/^Stopped before every file was compared: no differences among the 3 files compared/)
    expect(text).toContain('Interrupted.')
  })
})

describe('exit codes', () => {
  it('0 ok, 1 failures/guards/differences, 2 fatal, 130 interrupted', () => {
    expect(exitCodeForSummary(summary(), 'sync')).toBe(0)
    expect(exitCodeForSummary(summary({ failed: 1 }), 'sync')).toBe(1)
    expect(exitCodeForSummary(summary({ listingErrors: 1 }), 'sync')).toBe(1)
    expect(exitCodeForSummary(summary({ deletesSuppressed: 'max-delete' }), 'sync')).toBe(1)
    expect(exitCodeForSummary(summary({ planned: { ...none, update: 1 } }), 'check')).toBe(1)
    expect(exitCodeForSummary(summary({ planned: { ...none, update: 1 } }), 'sync')).toBe(0)
    expect(exitCodeForSummary(summary({ fatal: { code: 'AUTH', message: 'denied' } }), 'sync')).toBe(2)
    expect(exitCodeForSummary(summary({ interrupted: true, failed: 3 }), 'sync')).toBe(130)
  })
})

describe('HumanReporter', () => {
  const capture = () => {
    const out: string[] = []
    const err: string[] = []
    const streams = {
      stdout: { write: (s: string) => out.push(s), isTTY: false },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    }
    return { streams, out, err }
  }

  it("gives a failure that is no one file's (the state store) its hint; a file's hint only with -v", () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    const error = {
      code: 'USAGE' as const,
      message: 'the state file is not a usable SQLite database',
      hint: 'Delete it.',
    }
    reporter.event({ type: 'failed', ts: 0, path: '', error, stage: 'record' })
    reporter.event({ type: 'failed', ts: 0, path: 'a.txt', error: { ...error, hint: 'Per file.' }, stage: 'transfer' })
    expect(err.join('')).toBe(
      'failed   (state store): the state file is not a usable SQLite database\n  Delete it.\n' +
        'failed   a.txt: the state file is not a usable SQLite database\n',
    )
    // The run's fatal error is that general failure: printed in full already, so not again.
    expect(reporter.shown(error)).toBe(true)
    expect(reporter.shown({ ...error, message: 'another problem' })).toBe(false)
  })

  it('gives refused credentials (AUTH) their hint once, on the first line, without -v', () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    const error = {
      code: 'AUTH' as const,
      message: 'access to bucket b refused: AccessDenied',
      hint: 'The credentials came from the environment. Check them.',
    }
    reporter.event({ type: 'failed', ts: 0, path: 'locked/a', error, stage: 'transfer' })
    reporter.event({ type: 'failed', ts: 0, path: 'locked/b', error, stage: 'transfer' })
    expect(err.join('')).toBe(
      'failed   locked/a: access to bucket b refused: AccessDenied\n  The credentials came from the environment. Check them.\n' +
        'failed   locked/b: access to bucket b refused: AccessDenied\n',
    )
  })

  it('with -q says nothing but why deletes were held back (the run exits 1 for it)', () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: true, verbose: false })
    reporter.event({ type: 'notice', ts: 0, code: 'MAX_DELETE', message: '3 deletes planned, over --max-delete 1' })
    reporter.end(summary({ deletesSuppressed: '3 deletes planned, more than --max-delete 1' }))
    expect(err.join('')).toBe('syncflow: deletes suppressed: 3 deletes planned, more than --max-delete 1\n')
    const quietOk = capture()
    new HumanReporter(quietOk.streams, { kind: 'sync', dryRun: false, quiet: true, verbose: false }).end(summary({}))
    expect(quietOk.err).toEqual([])
  })

  // A name is anyone's (an S3 key): a line break in it, quoted by a message, must not start a line
  // of its own that could pass for syncflow's (a forged "Done in…" summary).
  it('prints a message quoting a name with a line break in it on one line', () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    const key = 'n/evil\nDone in 0.1s: nothing to do.'
    reporter.event({
      type: 'failed',
      ts: 0,
      path: key,
      error: { code: 'INVALID_PATH', message: `unsafe key ${key} skipped` },
      stage: 'list',
    })
    reporter.event({ type: 'skipped', ts: 0, path: key, reason: `cannot store ${key}` })
    reporter.event({ type: 'notice', ts: 0, code: 'STALE_TEMP_REMOVED', message: `removed ${key}`, path: key })
    const lines = err.join('').trim().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines.every((l) => !l.startsWith('Done'))).toBe(true)
    expect(lines[0]).toContain('n/evil\\x0aDone')
  })
})

describe('formatError', () => {
  it('prints a message and hint quoting a name with a line break on their own lines only', () => {
    const text = formatError(new SyncError('NOT_FOUND', 'no such key "a\nb"', { hint: 'Check "c\nd".' }), false)
    expect(text).toBe('syncflow: no such key "a\\x0ab"\n  Check "c\\x0ad".\n')
  })

  // A tab escaped in place read as a name holding a literal `\x09` (helper-35's note on QA F10).
  it('prints the path of a message as failure lines print names: quoted when it holds a control character', () => {
    const e = new SyncError('INVALID_PATH', 'unsafe name', { op: 'local.list', path: 't\t.txt' })
    expect(formatError(e, false)).toBe('syncflow: INVALID_PATH: local.list ("t\\x09.txt"): unsafe name\n')
  })

  it("says a plugin's plain Error is the plugin's to fix, and any other untranslated error is syncflow's bug", () => {
    const plugin = new SyncError('UNKNOWN', 'socket hang up', {
      op: 'pe.read',
      hint: "This plain Error comes from the plugin ./pe.mjs, not from syncflow: report it to the plugin's author.",
    })
    expect(formatError(plugin, false)).toBe(
      // Not headed "internal error" over a hint that says it is not syncflow's (QA 7 #8).
      "syncflow: UNKNOWN: pe.read: socket hang up\n  This plain Error comes from the plugin ./pe.mjs, not from syncflow: report it to the plugin's author.\n",
    )
    expect(formatError(new Error('boom'), false)).toBe(
      'syncflow: internal error: boom\n  This is a bug in syncflow. Please report it with the output of the same command run with -v.\n',
    )
  })
})

describe('HumanReporter notices', () => {
  it('prints the first temp files removed from a killed run, then how many more', () => {
    const err: string[] = []
    const streams = {
      stdout: { write: () => true, isTTY: false },
      stderr: { write: (s: string) => err.push(s), isTTY: false },
    }
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    for (let i = 0; i < 10; i++) {
      reporter.event({ type: 'notice', ts: 0, code: 'STALE_TEMP_REMOVED', message: `removed t${i}`, path: `t${i}` })
    }
    reporter.end(undefined)
    const lines = err.join('').trim().split('\n')
    expect(lines.slice(0, 3).map((l) => l.replace(/\n.*/, ''))).toEqual([
      'note: removed t0',
      'note: removed t1',
      'note: removed t2',
    ])
    expect(lines.at(-1)).toBe('note: 7 more temp file(s) left by an interrupted run removed (-v lists them)')
  })
})

describe('printable', () => {
  it('escapes C0, DEL and C1 controls; keeps newlines only when asked; leaves other text alone', () => {
    expect(printable('a\u001b[2Jb\u007f\u009bc\nd')).toBe('a\\x1b[2Jb\\x7f\\x9bc\\x0ad')
    expect(printable('line\nnext\tx', true)).toBe('line\nnext\\x09x')
    expect(printable('naïve/ü 😀.txt')).toBe('naïve/ü 😀.txt')
  })

  it('prints a name with a control character quoted, so it never reads as another (a backslash is a plain character)', () => {
    expect(printableName('tab\tname')).toBe('"tab\\x09name"')
    expect(printableName('a\\b"\n')).toBe('"a\\\\b\\"\\x0a"')
    expect(printableName('tab\\x09name')).toBe('tab\\x09name')
    expect(printableName('del\u007f\u009b')).toBe('"del\\x7f\\x9b"')
    expect(printableName('back\\slash.txt')).toBe('back\\slash.txt')
    // A listing failure on the target says so (the fix is there, not in the source).
    const onTarget = formatFailed({
      path: 'p/odd\tname',
      stage: 'list',
      side: 'target',
      error: { code: 'INVALID_PATH', message: 'unsafe name skipped' },
    })
    expect(onTarget).toBe('failed   "p/odd\\x09name" (on the target): unsafe name skipped')
    const copied = (path: string) => formatCompleted({ kind: 'copy', path: path as RelPath, reason: 'new file' }, false)
    expect(copied('tab\tname')).not.toBe(copied('tab\\x09name'))
  })

  // QA F10: the quoted form starts with `"`; a name that starts with `"` itself is quoted too, so
  // that `"t\x09.txt"` (quotes and a backslash in the name) does not print as `t<TAB>.txt` does.
  it('prints a name that starts with a double quote quoted, so no bare name reads as a quoted one', () => {
    const names = ['t\t.txt', 't\\x09.txt', '"t\\x09.txt"', '"t\t.txt"']
    const shown = names.map(printableName)
    expect(shown).toEqual(['"t\\x09.txt"', 't\\x09.txt', '"\\"t\\\\x09.txt\\""', '"\\"t\\x09.txt\\""'])
    expect(new Set(shown).size).toBe(names.length)
    // A quote elsewhere in a name cannot be taken for the quoted form: the name stays as it is.
    expect(printableName('say "hi".txt')).toBe('say "hi".txt')
    // The message's `(path)` is printed as the name is, not escaped in place.
    const failed = (path: string) =>
      formatFailed({
        path,
        stage: 'list',
        side: 'source',
        error: { code: 'INVALID_PATH', message: `INVALID_PATH: local.list (${path}): unsafe name skipped`, path },
      })
    expect(failed('t\t.txt')).toBe(
      'failed   "t\\x09.txt": INVALID_PATH: local.list ("t\\x09.txt"): unsafe name skipped',
    )
    expect(failed('t\\x09.txt')).toBe('failed   t\\x09.txt: INVALID_PATH: local.list (t\\x09.txt): unsafe name skipped')
  })
})
