import { CLASH_HINT_NO_DELETES, type FailedEvent, type SerializedError } from '@syncflow/core'
import { describe, expect, it } from 'vitest'
import { formatFailed } from '../src/output/format-action.js'
import { HumanReporter } from '../src/output/human-reporter.js'

const capture = () => {
  const err: string[] = []
  const streams = {
    stdout: { write: (_: string) => true, isTTY: false },
    stderr: { write: (s: string) => err.push(s), isTTY: false },
  }
  return { streams, err }
}

const unreachable: SerializedError = {
  code: 'TRANSIENT',
  message:
    'TRANSIENT: grpc.stat (f.bin): No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:18731.',
  hint: 'Check that `syncflow serve` is running at 127.0.0.1:18731 and reachable from here; what failed is tried again by the next run.',
}

const failed = (path: string, error: SerializedError, stage: FailedEvent['stage'] = 'transfer'): FailedEvent => ({
  type: 'failed',
  ts: 0,
  path,
  error,
  stage,
})

describe('failure lines', () => {
  // QA 3a F10: a server killed mid-upload left "failed f.bin: TRANSIENT: grpc.stat (f.bin): No
  // connection established…" and no hint, unlike the same failure at connect time.
  it("a file's TRANSIENT failure (the connection, not the file) gets its hint, once for all files", () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    reporter.event(failed('f.bin', unreachable))
    reporter.event(failed('g.bin', { ...unreachable, message: unreachable.message.replaceAll('f.bin', 'g.bin') }))
    expect(err.join('')).toBe(
      `failed   f.bin: ${unreachable.message}\n  ${unreachable.hint}\n` +
        `failed   g.bin: ${unreachable.message.replaceAll('f.bin', 'g.bin')}\n`,
    )
  })

  // "1 more refused file(s) not listed" said less than the one line it stood for.
  it('refused files: a single one left past the bound is listed, not counted', () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    const denied = (path: string) => failed(path, { code: 'AUTH', message: `AUTH: s3.write (${path}): AccessDenied` })
    for (let i = 0; i < 7; i++) reporter.event(denied(`locked/${i}`))
    reporter.end(undefined)
    expect(err.join('').trimEnd().split('\n')).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `failed   locked/${i}: AUTH: s3.write (locked/${i}): AccessDenied`),
      'note: 2 more refused file(s) not listed, in locked/ (2) (-v or --json lists each)',
    ])
    const one = capture()
    const single = new HumanReporter(one.streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    for (let i = 0; i < 6; i++) single.event(denied(`locked/${i}`))
    single.end(undefined)
    expect(one.err.join('').trimEnd().split('\n')).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => `failed   locked/${i}: AUTH: s3.write (locked/${i}): AccessDenied`),
    )
  })

  // QA 32b: a policy refusing one prefix of thousands of files printed a line for each.
  it('refused files: the first few listed, then one per directory, the rest counted where they are', () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    const denied = (path: string) => failed(path, { code: 'AUTH', message: `AUTH: s3.write (${path}): AccessDenied` })
    for (let i = 0; i < 100; i++) reporter.event(denied(`locked/a/${i}`))
    for (let i = 0; i < 10; i++) reporter.event(denied(`locked/b/${i}`))
    reporter.event(failed('other', { code: 'NOT_FOUND', message: 'vanished' }))
    reporter.end(undefined)
    const lines = err.join('').trimEnd().split('\n')
    expect(lines).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => `failed   locked/a/${i}: AUTH: s3.write (locked/a/${i}): AccessDenied`),
      'failed   locked/b/0: AUTH: s3.write (locked/b/0): AccessDenied',
      'failed   other: vanished',
      'note: 104 more refused file(s) not listed, in locked/a/ (95), locked/b/ (9) (-v or --json lists each)',
    ])
    // -v lists each.
    const all = capture()
    const verbose = new HumanReporter(all.streams, { kind: 'sync', dryRun: false, quiet: false, verbose: true })
    for (let i = 0; i < 100; i++) verbose.event(denied(`locked/a/${i}`))
    verbose.end(undefined)
    expect(all.err.join('').match(/^failed /gm)).toHaveLength(100)
  })

  it("a file's other failures still keep their hint for -v", () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    reporter.event(failed('a.txt', { code: 'PERMISSION', message: 'permission denied', hint: 'Check it.' }))
    expect(err.join('')).toBe('failed   a.txt: permission denied\n')
  })

  // QA 22 #17: `copy` over a directory where the source has a file said why only with -v.
  it('an entry in the way of the source gets what the mode means for it, once for all', () => {
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    const clash = (path: string): SerializedError => ({
      code: 'CONFLICT',
      message: `CONFLICT: local.copyFrom (${path}): a directory is in the way of the source's file; nothing was changed`,
      hint: CLASH_HINT_NO_DELETES,
    })
    reporter.event(failed('d1', clash('d1')))
    reporter.event(failed('d2', clash('d2')))
    expect(err.join('')).toBe(
      `failed   d1: ${clash('d1').message}\n  ${CLASH_HINT_NO_DELETES}\nfailed   d2: ${clash('d2').message}\n`,
    )
  })

  // QA 3a F10: `watch` with the server down printed "failed   : TRANSIENT: grpc.list: …".
  it('a failure that is no path of the tree names what failed, never an empty path', () => {
    const list = { code: 'TRANSIENT' as const, message: 'TRANSIENT: grpc.list: No connection established.' }
    expect(formatFailed(failed('', list, 'list'))).toBe(`failed   (list): ${list.message}`)
    expect(formatFailed(failed('', list, 'record'))).toBe(`failed   (state store): ${list.message}`)
    // A one-shot run says whose listing failed (QA 7 #12: a plugin's message names only the plugin).
    expect(formatFailed({ ...failed('', list, 'list'), side: 'target' })).toBe(
      `failed   (target list): ${list.message}`,
    )
    expect(formatFailed(failed('a/b', list, 'transfer'), 'Do this.')).toBe(`failed   a/b: ${list.message}\n  Do this.`)
    const { streams, err } = capture()
    new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false }).event(
      failed('', list, 'list'),
    )
    expect(err.join('')).toBe(`failed   (list): ${list.message}\n`)
  })

  // QA 18 F6: after 3 refused uploads, the stop printed a 4th `failed` line, `failed   (transfer): AUTH: stopped: …`,
  // beside "3 items failed". It is the run's fatal error: run-job-command says it once, as `syncflow: …`.
  it('the AUTH stop after refused transfers is no failed line: left to the fatal error, said once after the run', () => {
    const refused = { code: 'AUTH' as const, message: 'AUTH: s3.write (a): Access Denied' }
    const stop = { code: 'AUTH' as const, message: 'AUTH: stopped: 3 transfers in a row were refused for credentials' }
    const { streams, err } = capture()
    const reporter = new HumanReporter(streams, { kind: 'sync', dryRun: false, quiet: false, verbose: false })
    reporter.event(failed('a', refused))
    reporter.event(failed('', stop))
    expect(err.join('')).toBe(`failed   a: ${refused.message}\n`)
    expect(reporter.shown(stop)).toBe(false)
  })
})
