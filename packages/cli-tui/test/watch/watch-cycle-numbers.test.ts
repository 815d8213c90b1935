import { type Change, createMemBackend, type RelPath, type SyncEvent } from '@syncflow/core'
import { continuousSync } from '@syncflow/core/continuous'
import { writeText } from '@syncflow/core/testkit'
import { Subject } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import { JsonReporter } from '../../src/output/json-reporter.js'
import type { Streams } from '../../src/output/streams.js'
import { WatchLogReporter } from '../../src/reporters/watch-log-reporter.js'
import { summary } from '../ui/fixtures.js'

const ZERO = summary().done

// `watch --json` and the watch log number the cycles alike (QA F14): the engine's events through
// both reporters (no built binary needed).

const T0 = 1_700_000_000_000
const up = (path: string): Change => ({ type: 'upsert', path: path as RelPath })

function streams(): { s: Streams; out: { stdout: string; stderr: string } } {
  const out = { stdout: '', stderr: '' }
  return {
    s: {
      stdout: { write: (t: string) => (out.stdout += t), isTTY: true },
      stderr: { write: (t: string) => (out.stderr += t), isTTY: true },
    },
    out,
  }
}

const stops: (() => void)[] = []
afterEach(() => {
  for (const stop of stops.splice(0)) stop()
})

describe('watch: cycle numbers', () => {
  it('the --json done lines carry cycle and trigger, numbered as the log’s #n, empty batches in neither', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'a', 'at start', T0)
    const statted: string[] = []
    const stat = dst.stat.bind(dst)
    dst.stat = async (path) => {
      statted.push(path)
      return stat(path)
    }
    const json = streams()
    const log = streams()
    const jsonReporter = new JsonReporter(json.s, false)
    const logReporter = new WatchLogReporter(log.s, { dryRun: false, quiet: false, verbose: false })
    const changes = new Subject<Change>()
    const abort = new AbortController()
    let ended = false
    const sub = continuousSync(src, dst, {
      mode: 'mirror',
      changes,
      debounceMs: 5,
      moveHoldMs: 30,
      rescanMs: 0,
      signal: abort.signal,
    }).subscribe({
      next: (e: SyncEvent) => {
        jsonReporter.event(e)
        logReporter.event(e)
      },
      complete: () => (ended = true),
    })
    stops.push(() => {
      abort.abort()
      sub.unsubscribe()
    })
    const dones = () =>
      json.out.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{"type":"done"'))
    await expect.poll(() => dones().length).toBe(1)

    changes.next(up('ghost')) // created and deleted within the debounce
    await expect.poll(() => statted.includes('ghost')).toBe(true)
    await writeText(src, 'b', 'changed', T0)
    changes.next(up('b'))
    await expect.poll(() => dones().length).toBe(2)
    abort.abort()
    await expect.poll(() => ended).toBe(true)

    const lines = dones()
    expect(lines[0]).toMatch(/^\{"type":"done","ts":\d+,"cycle":1,"trigger":"initial","summary":\{"mode":"mirror",/)
    expect(lines[1]).toMatch(/^\{"type":"done","ts":\d+,"cycle":2,"trigger":"changes","summary":\{"mode":"mirror",/)
    expect(lines[2]).toMatch(/^\{"type":"done","ts":\d+,"summary":\{"mode":"watch",/)
    expect(log.out.stderr).toMatch(/ initial sync: 1 copied/)
    expect(log.out.stderr).toMatch(/ #2: 1 copied/)
  })

  it('the log takes its numbers and the initial sync from the done, when it says them', () => {
    const { s, out } = streams()
    const r = new WatchLogReporter(s, { dryRun: false, quiet: false, verbose: false })
    const copied = (n: number) =>
      summary({ planned: { ...ZERO, copy: n }, done: { ...ZERO, copy: n }, bytesTransferred: n })
    // A job without an initial sync: its first cycle is a batch of changes, not "initial sync".
    r.event({ type: 'done', ts: 0, cycle: 1, trigger: 'changes', summary: copied(1) })
    r.event({ type: 'done', ts: 0, cycle: 2, trigger: 'rescan', summary: copied(0) })
    r.event({ type: 'done', ts: 0, cycle: 3, trigger: 'rescan', summary: copied(2) })
    const lines = out.stderr.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/ #1: 1 copied/)
    expect(lines[1]).toMatch(/ #3: 2 copied/)
  })
})
