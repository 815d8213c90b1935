import { Subject } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type Change,
  createMemBackend,
  type DoneEvent,
  type MemBackend,
  type RelPath,
  SyncError,
} from '../src/index.js'
import { listAll, readText, writeText } from '../src/testkit/index.js'
import { startJob, stopJobs } from './continuous-local-helpers.js'

// The `done` of each cycle of a continuous job says its number (`cycle`, the `#n` of the watch log)
// and what started it (`trigger`), for `watch --json` (QA F14).

const T0 = 1_700_000_000_000
const up = (path: string): Change => ({ type: 'upsert', path: path as RelPath })
afterEach(stopJobs)

async function snapshot(b: MemBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await listAll(b)) if (e.kind === 'file') out[e.path] = await readText(b, e.path)
  return out
}

/** Each cycle's number and trigger, in order. */
const numbered = (cycles: readonly DoneEvent[]) => cycles.map((c) => [c.cycle, c.trigger])

describe('continuousSync: cycle numbers and triggers', () => {
  it('numbers the initial sync 1 and a batch of changes 2; the job’s own last done has neither key', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'a', 'at start', T0)
    const changes = new Subject<Change>()
    const job = startJob(src, dst, { changes })
    await expect.poll(() => job.cycles().length).toBe(1)
    expect(job.cycles()[0]).toMatchObject({ cycle: 1, trigger: 'initial', summary: { done: { copy: 1 } } })

    await writeText(src, 'b', 'changed', T0)
    changes.next(up('b'))
    await expect.poll(() => job.cycles().length).toBe(2)
    expect(job.cycles()[1]).toMatchObject({ cycle: 2, trigger: 'changes', summary: { done: { copy: 1 } } })

    const last = await job.stop()
    expect(last.summary.mode).toBe('watch')
    expect(last).not.toHaveProperty('cycle')
    expect(last).not.toHaveProperty('trigger')
    // A `--json` line reads type, ts, cycle, trigger, then the long summary.
    expect(Object.keys(job.cycles()[1] as DoneEvent)).toEqual(['type', 'ts', 'cycle', 'trigger', 'summary'])
  })

  it('says rescan for a periodic rescan, and the rescan that caught a file no event named', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const job = startJob(src, dst, { changes: new Subject<Change>(), rescanMs: 40 })
    await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(2)
    await writeText(src, 'silent', 'no event', T0)
    await expect.poll(() => snapshot(dst)).toEqual({ silent: 'no event' })
    await job.stop()
    const cycles = job.cycles()
    expect(numbered(cycles.slice(0, 2))).toEqual([
      [1, 'initial'],
      [2, 'rescan'],
    ])
    // Every cycle after the initial one was a rescan, numbered one after another.
    expect(numbered(cycles)).toEqual(cycles.map((_, i) => [i + 1, i === 0 ? 'initial' : 'rescan']))
    expect(cycles.find((c) => c.summary.done.copy === 1)).toMatchObject({ trigger: 'rescan' })
  })

  // QA 6 F5: the held delete of a directory asked for a full rescan, which only reported the same
  // failure again.
  it('a cycle that held a directory delete back for a listing error asks for no rescan', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'sub/s.txt', 's', T0)
    const changes = new Subject<Change>()
    const job = startJob(src, dst, { changes })
    await expect.poll(() => job.cycles().length).toBe(1)
    await src.remove('sub/s.txt' as RelPath)
    await src.remove('sub' as RelPath)
    src.faults = {
      stat: (path) => (path === 'bad' ? new SyncError('INVALID_PATH', 'name is not valid UTF-8', { path }) : undefined),
    }
    changes.next({ type: 'remove', path: 'sub' as RelPath })
    changes.next(up('bad'))
    await expect.poll(() => job.cycles().length).toBe(2)
    expect(job.events.some((e) => e.type === 'notice' && e.code === 'DELETES_SUPPRESSED')).toBe(true)
    await writeText(src, 'marker', 'm', T0)
    changes.next(up('marker'))
    await expect.poll(() => snapshot(dst)).toEqual({ 'sub/s.txt': 's', marker: 'm' })
    expect(numbered(job.cycles())).toEqual([
      [1, 'initial'],
      [2, 'changes'],
      [3, 'changes'],
    ])
  })

  it('says retry for the cycle that tries again a path whose copy failed', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const changes = new Subject<Change>()
    // The first copy of `locked` is refused (a permission fixed later); the next one goes through.
    let refused = 0
    const copyFrom = dst.copyFrom.bind(dst)
    dst.copyFrom = async (source, sourcePath, path, meta, opts) => {
      if (path === 'locked' && refused++ === 0) throw new SyncError('PERMISSION', 'permission denied', { path })
      return copyFrom(source, sourcePath, path, meta, opts)
    }
    const job = startJob(src, dst, { changes })
    await expect.poll(() => job.cycles().length).toBe(1)
    await writeText(src, 'locked', 'x', T0)
    changes.next(up('locked'))
    await expect.poll(() => snapshot(dst)).toEqual({ locked: 'x' })
    await expect.poll(() => job.cycles().length).toBe(3)
    expect(numbered(job.cycles())).toEqual([
      [1, 'initial'],
      [2, 'changes'],
      [3, 'retry'],
    ])
    expect(job.cycles()[1]?.summary).toMatchObject({ failed: 1 })
    expect(job.cycles()[2]?.summary).toMatchObject({ failed: 0, done: { copy: 1 } })
  })

  it('reports nothing of a batch that found nothing to do: no done, no number, no empty stats', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    // `same` is on both sides as it is: an event for it (a chown, say) leaves nothing to do.
    await writeText(src, 'same', 'equal', T0)
    await writeText(dst, 'same', 'equal', T0)
    const changes = new Subject<Change>()
    const statted: string[] = []
    const stat = dst.stat.bind(dst)
    dst.stat = async (path) => {
      statted.push(path)
      return stat(path)
    }
    const job = startJob(src, dst, { changes })
    await expect.poll(() => job.cycles().length).toBe(1)
    const afterInitial = job.events.length

    // `ghost` was created and deleted within the debounce: gone when looked at.
    changes.next(up('ghost'))
    changes.next(up('same'))
    // Its cycle ran (only a cycle states the target's paths)…
    await expect.poll(() => statted.includes('ghost') && statted.includes('same')).toBe(true)
    // …and the next one, once it ended, is number 2.
    await writeText(src, 'real', 'content', T0)
    changes.next(up('real'))
    await expect.poll(() => snapshot(dst)).toEqual({ same: 'equal', real: 'content' })
    await expect.poll(() => job.cycles().length).toBe(2)
    expect(numbered(job.cycles())).toEqual([
      [1, 'initial'],
      [2, 'changes'],
    ])
    expect(job.cycles()[1]?.summary).toMatchObject({ unchanged: 0, done: { copy: 1 } })
    // Nothing of the empty cycle is left in the stream: every stats event after the initial sync
    // is of the cycle that copied `real`.
    const stats = job.events.slice(afterInitial).filter((e) => e.type === 'stats')
    expect(stats.every((e) => e.type === 'stats' && e.filesPlanned === 1)).toBe(true)
  })
})
