import { Observable, Subject } from 'rxjs'
import { afterEach, describe, expect, it } from 'vitest'
import type { ContinuousOptions } from '../src/continuous/index.js'
import {
  type Backend,
  type Change,
  createMemBackend,
  type DoneEvent,
  type MemBackend,
  type RelPath,
  SyncError,
  type Watchable,
} from '../src/index.js'
import { listAll, readText, writeText } from '../src/testkit/index.js'
import { startJob, stopJobs } from './continuous-local-helpers.js'

const T0 = 1_700_000_000_000
const up = (path: string): Change => ({ type: 'upsert', path: path as RelPath })
const rm = (path: string): Change => ({ type: 'remove', path: path as RelPath })

async function snapshot(b: MemBackend): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const e of await listAll(b)) if (e.kind === 'file') out[e.path] = await readText(b, e.path)
  return out
}

/** A running job with this file's timings: its events so far, and how to stop it. */
const start = (src: Backend, dst: Backend, opts: Partial<ContinuousOptions> = {}) =>
  startJob(src, dst, opts, { mode: 'mirror', debounceMs: 5, moveHoldMs: 30, rescanMs: 0 })
afterEach(stopJobs)

describe('continuousSync', () => {
  it('syncs at start, then follows writes, renames (as moves) and deletes', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'first', 'at start', T0)
    const changes = new Subject<Change>()
    const job = start(src, dst, { changes })
    await expect.poll(() => snapshot(dst)).toEqual({ first: 'at start' })

    await writeText(src, 'a', 'hello', T0)
    changes.next(up('a'))
    await expect.poll(() => snapshot(dst)).toEqual({ first: 'at start', a: 'hello' })

    // a rename: the old path vanishes and the new one appears with the same content
    await src.move('a' as RelPath, 'b' as RelPath)
    changes.next(rm('a'))
    changes.next(up('b'))
    await expect.poll(() => snapshot(dst)).toEqual({ first: 'at start', b: 'hello' })
    expect(job.events.some((e) => e.type === 'completed' && e.action.kind === 'move')).toBe(true)

    await src.remove('first' as RelPath)
    changes.next(rm('first'))
    await expect.poll(() => snapshot(dst)).toEqual({ b: 'hello' })

    changes.complete()
    await expect.poll(job.ended).toBe(true)
    const last = job.events.at(-1) as DoneEvent
    expect(last.type).toBe('done')
    expect(last.summary).toMatchObject({ mode: 'watch', failed: 0, interrupted: false })
    expect(last.summary.done).toMatchObject({ copy: 2, move: 1, delete: 1 })
  })

  it('absorbs a burst of changes in a few cycles, not one per file', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const changes = new Subject<Change>()
    const job = start(src, dst, { changes })
    await expect.poll(() => job.cycles().length).toBe(1)
    const n = 2000
    for (let i = 0; i < n; i++) {
      await writeText(src, `burst/f${i}`, `${i}`, T0)
      changes.next(up(`burst/f${i}`))
    }
    await expect.poll(async () => Object.keys(await snapshot(dst)).length, { timeout: 20_000 }).toBe(n)
    expect(job.cycles().length - 1).toBeLessThanOrEqual(10)
  })

  it('runs no cycle for the late events of files it has already shipped as they are', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'a', 'content', T0)
    const changes = new Subject<Change>()
    const job = start(src, dst, { changes })
    await expect.poll(() => snapshot(dst)).toEqual({ a: 'content' })
    // The initial sync's `done`, which comes a moment after its copy, before counting the cycles.
    await expect.poll(() => job.cycles().length).toBe(1)
    const before = job.cycles().length
    changes.next(up('a')) // an event for the file the initial sync copied, unchanged since
    await writeText(src, 'b', 'new', T0)
    changes.next(up('b'))
    await expect.poll(() => snapshot(dst)).toEqual({ a: 'content', b: 'new' })
    // The one cycle saw b only: a was not even compared again.
    await expect.poll(() => job.cycles().length - before).toBe(1)
    expect(job.cycles().at(-1)?.summary).toMatchObject({ unchanged: 0, done: { copy: 1 } })
  })

  it('ships again a file changed while it was copied, though no event says so (the re-check after a cycle)', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const changes = new Subject<Change>()
    let rewrites = 0
    // The source's `a` changes right after it was copied (as the copy finishes), and no event says so.
    const copyFrom = dst.copyFrom.bind(dst)
    dst.copyFrom = async (source, sourcePath, path, meta, opts) => {
      const made = await copyFrom(source, sourcePath, path, meta, opts)
      if (path === 'a' && rewrites++ === 0) await writeText(src, 'a', 'second version', T0 + 5000)
      return made
    }
    const job = start(src, dst, { changes, initialSync: false })
    await writeText(src, 'a', 'first version', T0)
    changes.next(up('a'))
    await expect.poll(() => snapshot(dst)).toEqual({ a: 'second version' })
    expect(job.cycles().length).toBe(2)
  })

  it('stops cleanly when aborted: the last done says interrupted', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const job = start(src, dst, { changes: new Subject<Change>() })
    await expect.poll(() => job.cycles().length).toBe(1)
    job.abort.abort()
    await expect.poll(job.ended).toBe(true)
    expect((job.events.at(-1) as DoneEvent).summary).toMatchObject({ mode: 'watch', interrupted: true })
  })

  // QA 32c: a watch whose shared state store went away (the CLI aborts it with that error) ended as
  // "interrupted", exit 130, as if Ctrl-C had stopped it, and the reason was never said.
  it('stopped for a reason of its own, given as the signal’s, ends with that error, not interrupted', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const job = start(src, dst, { changes: new Subject<Change>() })
    await expect.poll(() => job.cycles().length).toBe(1)
    job.abort.abort(new SyncError('TRANSIENT', 'the shared state store went away during the run', { op: 'state.lock' }))
    await expect.poll(job.ended).toBe(true)
    const { summary } = job.events.at(-1) as DoneEvent
    expect(summary.interrupted).toBe(false)
    expect(summary.fatal).toMatchObject({ code: 'TRANSIENT', message: expect.stringMatching(/store went away/) })
  })

  it('rescans periodically, catching what no event named', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const job = start(src, dst, { changes: new Subject<Change>(), rescanMs: 30 })
    await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)
    await writeText(src, 'silent', 'no event', T0)
    await expect.poll(() => snapshot(dst)).toEqual({ silent: 'no event' })
  })

  it('stops at once when the initial sync cannot start', async () => {
    const src = createMemBackend({ root: 'missing' })
    const dst = createMemBackend()
    const job = start(src, dst, { changes: new Subject<Change>() })
    await expect.poll(job.ended).toBe(true)
    expect((job.events.at(-1) as DoneEvent).summary.fatal).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('polls a source without change events, and says so once', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const job = start(src, dst, { pollMs: 10 })
    await expect.poll(() => job.cycles().length).toBe(1)
    await writeText(src, 'polled', 'x', T0)
    await expect.poll(() => snapshot(dst)).toEqual({ polled: 'x' })
    const notices = job.events.filter((e) => e.type === 'notice' && e.code === 'POLLING')
    expect(notices).toHaveLength(1)
  })

  it('uses the source watch, and falls back to polling when it fails (watches exhausted)', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const events = new Subject<Change>()
    const watching = Object.assign(src, {
      watch: () => events.asObservable(),
    }) as MemBackend & Watchable
    Object.defineProperty(watching, 'capabilities', { value: { ...src.capabilities, watch: 'native' } })
    const job = start(watching, dst, { pollMs: 10 })
    await expect.poll(() => job.cycles().length).toBe(1)
    await writeText(src, 'evented', '1', T0)
    events.next(up('evented'))
    await expect.poll(() => snapshot(dst)).toEqual({ evented: '1' })
    expect(job.events.some((e) => e.type === 'notice')).toBe(false)

    const err = Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' })
    events.error(err)
    await expect.poll(() => job.events.filter((e) => e.type === 'notice' && e.code === 'POLLING').length).toBe(1)
    await writeText(src, 'after', '2', T0)
    await expect.poll(() => snapshot(dst)).toEqual({ evented: '1', after: '2' })
  })

  it('takes the initial snapshot only once the watcher reports every change', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    await writeText(src, 'a', '1', T0)
    let ready: (() => void) | undefined
    const watching = Object.assign(src, {
      watch: (o: { onReady?: () => void }) => {
        ready = o.onReady
        return new Subject<Change>()
      },
    })
    Object.defineProperty(watching, 'capabilities', {
      value: { ...src.capabilities, watch: 'native', watchReady: true },
    })
    const job = start(watching, dst)
    await expect.poll(() => ready).toBeDefined()
    expect(job.events).toEqual([])
    ready?.()
    await expect.poll(() => snapshot(dst)).toEqual({ a: '1' })
  })

  it('drops unsafe paths from a watch stream and reports them', async () => {
    const src = createMemBackend()
    const dst = createMemBackend()
    const hostile = new Observable<Change>((s) => {
      s.next({ type: 'upsert', path: '../escape' as RelPath })
    })
    const watching = Object.assign(src, { watch: () => hostile })
    Object.defineProperty(watching, 'capabilities', { value: { ...src.capabilities, watch: 'native' } })
    const job = start(watching, dst)
    await expect
      .poll(() => job.events.find((e) => e.type === 'failed'))
      .toMatchObject({ error: { code: 'INVALID_PATH' } })
  })
})
