import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createMemBackend, type DoneEvent, type RelPath, SyncError, sync } from '../src/index.js'
import { DEFAULT_TEST_MTIME_MS, readText, writeText } from '../src/testkit/index.js'

// QA 27e A: a decision's stat (here: the real mtime of a target that lists upload times, as S3
// does) that failed TRANSIENT failed its item, never retried, while a transfer's would have been.

const N = 20

async function pairOfTrees() {
  const source = createMemBackend()
  const target = createMemBackend({ capabilities: { listMtime: false } })
  for (let i = 0; i < N; i++) {
    const path = `f${i}` as RelPath
    // Same size on both sides: only the target's real mtime (a stat) tells whether it changed.
    await writeText(source, path, `new ${i}`, DEFAULT_TEST_MTIME_MS + 60_000)
    await writeText(target, path, `old ${i}`)
  }
  return { source, target }
}

it('a stat made while planning that fails TRANSIENT once is made again, and the run has no failure', async () => {
  const { source, target } = await pairOfTrees()
  const failedOnce = new Set<RelPath>()
  target.faults = {
    stat: (path) => {
      if (failedOnce.has(path)) return undefined
      failedOnce.add(path)
      return new SyncError('TRANSIENT', 'request failed (HTTP 503)', { op: 'mem.stat', path })
    },
  }
  const events = await lastValueFrom(sync(source, target, { mode: 'mirror', retryDelayMs: 1 }).pipe(toArray()))
  const { summary } = events.at(-1) as DoneEvent
  expect(failedOnce.size).toBe(N)
  expect(summary.failed).toBe(0)
  expect(summary.fatal).toBeUndefined()
  expect(summary.done.update).toBe(N)
  for (let i = 0; i < N; i++) expect(await readText(target, `f${i}`)).toBe(`new ${i}`)
})

it('a stat made while planning against a target that cannot be reached fails at once, not after a backoff each', async () => {
  const { source, target } = await pairOfTrees()
  let stats = 0
  target.faults = {
    stat: () => {
      stats++
      return new SyncError('TRANSIENT', 'cannot connect to h:1 (connection refused)', {
        op: 'mem.stat',
        unreachable: 'h:1',
      })
    },
  }
  const events = await lastValueFrom(sync(source, target, { mode: 'mirror', retryDelayMs: 1 }).pipe(toArray()))
  const { summary } = events.at(-1) as DoneEvent
  // One stat per pair while planning, none made again.
  expect(stats).toBe(N)
  expect(summary.failed).toBe(N)
})

// Review 28: a Ctrl-C while a planning stat waited for its next try waited out the backoff first
// (up to 10 s a try) before the run could stop.
it('a run interrupted while a planning stat waits for its next try stops at once', { timeout: 8_000 }, async () => {
  const { source, target } = await pairOfTrees()
  const controller = new AbortController()
  target.faults = {
    stat: (path) => {
      // Interrupted once the first try failed and its retry waits (the backoff here: 10 s a try).
      setImmediate(() => controller.abort())
      return new SyncError('TRANSIENT', 'request failed (HTTP 503)', { op: 'mem.stat', path })
    },
  }
  const events = await lastValueFrom(
    sync(source, target, { mode: 'mirror', retryDelayMs: 600_000, signal: controller.signal }).pipe(toArray()),
  )
  const { summary } = events.at(-1) as DoneEvent
  expect(summary.interrupted).toBe(true)
  expect(summary.done.update).toBe(0)
})
