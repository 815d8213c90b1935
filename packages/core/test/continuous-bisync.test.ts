import { access, mkdir, readdir, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { type ContinuousBisyncOptions, continuousBisync } from '../src/continuous/index.js'
import { createPathFilter } from '../src/filter/create-path-filter.js'
import type { Change } from '../src/model/change.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { CYCLE_WAIT, local, removeTempDirs, tempDirs, tree } from './continuous-local-helpers.js'

// `watch A B --bisync` in the library: real local directories, their real watchers.

afterAll(removeTempDirs)

interface Job {
  readonly events: SyncEvent[]
  readonly dones: () => DoneEvent[]
  stop(): Promise<DoneEvent>
}

const stops: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

function start(A: string, B: string, opts: Partial<ContinuousBisyncOptions> = {}): Job {
  const a = local(A)
  const b = local(B)
  const controller = new AbortController()
  const events: SyncEvent[] = []
  const ended = new Promise<DoneEvent>((resolve, reject) => {
    continuousBisync(a, b, {
      state: opts.state ?? new MemoryStateStore(),
      debounceMs: 20,
      rescanMs: 0,
      retryLaterMs: 50,
      signal: controller.signal,
      ...opts,
    }).subscribe({
      next: (e) => events.push(e),
      error: reject,
      complete: () => resolve(events.at(-1) as DoneEvent),
    })
  })
  const stop = async (): Promise<DoneEvent> => {
    controller.abort()
    const done = await ended
    await a.close()
    await b.close()
    return done
  }
  stops.push(stop)
  return {
    events,
    dones: () => events.filter((e): e is DoneEvent => e.type === 'done' && e.cycle !== undefined),
    stop: async () => {
      stops.splice(stops.indexOf(stop), 1)
      return stop()
    },
  }
}

describe('continuousBisync (watch --bisync) on local directories', () => {
  it('syncs both ways at the start, then carries each side’s edits, new files and deletes to the other', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'a.txt'), 'from A')
    await mkdir(join(B, 'sub'))
    await writeFile(join(B, 'sub/b.txt'), 'from B')
    const job = start(A, B)
    // The first pass: the union on both sides.
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    expect(job.dones()[0]).toMatchObject({ cycle: 1, trigger: 'initial', summary: { mode: 'bisync', failed: 0 } })
    expect(await tree(A)).toEqual({ 'a.txt': 'from A', 'sub/b.txt': 'from B' })
    expect(await tree(B)).toEqual(await tree(A))

    // A new file on B reaches A; an edit on A reaches B; a delete on B reaches A.
    await writeFile(join(B, 'sub/new.txt'), 'new on B')
    await expect
      .poll(() => tree(A), CYCLE_WAIT)
      .toEqual({ 'a.txt': 'from A', 'sub/b.txt': 'from B', 'sub/new.txt': 'new on B' })
    await writeFile(join(A, 'a.txt'), 'edited on A')
    await expect.poll(async () => (await tree(B))['a.txt'], CYCLE_WAIT).toBe('edited on A')
    await unlink(join(B, 'sub/b.txt'))
    await expect.poll(async () => Object.keys(await tree(A)), CYCLE_WAIT).toEqual(['a.txt', 'sub/new.txt'])
    expect(await tree(B)).toEqual(await tree(A))

    const done = await job.stop()
    expect(done.summary).toMatchObject({ mode: 'watch', interrupted: true, failed: 0 })
    // Every reported cycle did something (the passes started by a pass's own writes found nothing
    // and are not reported), numbered without gaps.
    const cycles = job.dones()
    expect(cycles.map((d) => d.cycle)).toEqual(cycles.map((_, i) => i + 1))
    for (const d of cycles.slice(1)) {
      expect(d.trigger).toBe('changes')
      expect(Object.values(d.summary.done).reduce((n, c) => n + c, 0)).toBeGreaterThan(0)
    }
    expect(cycles.length).toBeGreaterThanOrEqual(4)
    // The job's totals count every copy and delete of its cycles.
    const copies = cycles.reduce((n, d) => n + d.summary.done.copy + d.summary.done.update, 0)
    expect(done.summary.done.copy + done.summary.done.update).toBe(copies)
    expect(done.summary.done.delete).toBeGreaterThanOrEqual(1)
  })

  it('keeps both versions of a file changed on both sides between two passes', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'doc.txt'), 'v1')
    const hints = new Subject<Change>()
    // Hints driven by the test: both edits are made before the pass they start.
    const job = start(A, B, { changes: hints, now: () => new Date(Date.UTC(2026, 11, 7, 3, 0, 0)) })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    expect(await tree(B)).toEqual({ 'doc.txt': 'v1' })
    await writeFile(join(A, 'doc.txt'), 'v2 from A, longer')
    await writeFile(join(B, 'doc.txt'), 'v2 from B')
    hints.next({ type: 'upsert', path: 'doc.txt' as RelPath })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(2)
    const files = await tree(A)
    expect(Object.values(files).sort()).toEqual(['v2 from A, longer', 'v2 from B'])
    expect(await tree(B)).toEqual(files)
    expect(job.events.some((e) => e.type === 'notice' && e.code === 'CONFLICT_KEPT')).toBe(true)
    hints.complete()
    // The hints ended: the job ends after the passes they asked for.
    const done = await job.stop()
    expect(done.summary.mode).toBe('watch')
  })

  it('runs a pass that failed for a reason that may pass again later, and the file arrives once it can', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'x'), 'a file on A')
    // A directory of the same name on B: the file cannot go there (a failure the user can fix).
    await mkdir(join(B, 'x'))
    // No watchers (hints that never come): only a retry can start a second pass.
    const job = start(A, B, { changes: new Subject<Change>() })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBeGreaterThanOrEqual(1)
    expect(job.dones()[0]?.summary.failed).toBeGreaterThan(0)
    await rm(join(B, 'x'), { recursive: true })
    await expect.poll(() => tree(B), CYCLE_WAIT).toEqual({ x: 'a file on A' })
    // (The file is in place a moment before its pass's `done` is out: CI.)
    await expect.poll(() => job.dones().at(-1), CYCLE_WAIT).toMatchObject({ trigger: 'retry', summary: { failed: 0 } })
  })

  it('counts a failure that lasts over several passes once in the job’s totals (the last pass’s)', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'x'), 'a file on A')
    await mkdir(join(B, 'x'))
    const job = start(A, B, { changes: new Subject<Change>() })
    // The same path fails pass after pass (each a retry of the last).
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBeGreaterThanOrEqual(3)
    const done = await job.stop()
    const last = job.dones().at(-1)!
    expect(last.summary.failed).toBeGreaterThan(0)
    // (The sum over the passes is what the job said before.)
    expect(job.dones().reduce((n, d) => n + d.summary.failed, 0)).toBeGreaterThan(last.summary.failed)
    expect(done.summary).toMatchObject({ mode: 'watch', failed: last.summary.failed })
    expect(done.summary.errorCodes).toEqual(last.summary.errorCodes)
  })

  it('ends at once, with the first pass’s error, when a side it synced before is gone', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'x.txt'), 'x')
    const state = new MemoryStateStore()
    const first = start(A, B, { state })
    await expect.poll(() => first.dones().length, CYCLE_WAIT).toBe(1)
    await first.stop()
    await rm(B, { recursive: true })
    const again = start(A, B, { state })
    // The job ends by itself: its last event is the job's own `done`.
    await expect.poll(() => again.events.at(-1), CYCLE_WAIT).toMatchObject({ type: 'done', summary: { mode: 'watch' } })
    const ended = again.events.at(-1) as DoneEvent
    expect(ended.summary.fatal).toMatchObject({ code: 'NOT_FOUND' })
    // Nothing was deleted on A for the side that went away.
    await access(join(A, 'x.txt'))
    expect(await readdir(A)).toEqual(['x.txt'])
  })
  it('a dry run’s totals are what its last pass would do, not the sum of passes that each plan it all again', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'a.txt'), 'from A')
    await writeFile(join(B, 'b.txt'), 'from B')
    const hints = new Subject<Change>()
    const job = start(A, B, { changes: hints, dryRun: true })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    await writeFile(join(A, 'c.txt'), 'new on A')
    hints.next({ type: 'upsert', path: 'c.txt' as RelPath })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(2)
    // Each pass planned every copy again: nothing was written.
    expect(job.dones().map((d) => d.summary.planned.copy)).toEqual([2, 3])
    expect(await tree(B)).toEqual({ 'b.txt': 'from B' })
    hints.complete()
    const done = await job.stop()
    expect(done.summary).toMatchObject({ mode: 'watch', dryRun: true })
    expect(done.summary.planned.copy).toBe(3)
  })

  it('deletes held back by --max-delete count once in the totals, however many passes hold them', async () => {
    const { src: A, dst: B } = await tempDirs()
    for (const n of ['1', '2', '3', '4']) await writeFile(join(A, `${n}.txt`), n)
    const hints = new Subject<Change>()
    const job = start(A, B, { changes: hints })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    expect(await tree(B)).toEqual(await tree(A))
    // 3 of B's 4 files gone: beyond the default --max-delete of 50%, held in each pass.
    for (const n of ['1', '2', '3']) await unlink(join(B, `${n}.txt`))
    hints.next({ type: 'remove', path: '1.txt' as RelPath })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(2)
    hints.next({ type: 'remove', path: '2.txt' as RelPath })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(3)
    expect(job.dones().map((d) => d.summary.skipped)).toEqual([0, 3, 3])
    expect(Object.keys(await tree(A))).toHaveLength(4)
    hints.complete()
    const done = await job.stop()
    expect(done.summary.skipped).toBe(3)
    expect(done.summary.deletesSuppressed).toMatch(/max-delete/)
  })
  it('names the side whose root went away while watched (A or B, not "the source"), and deletes nothing on the other', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'x.txt'), 'x')
    const job = start(A, B)
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    await rm(B, { recursive: true })
    const gone = () =>
      job.events.flatMap((e) => (e.type === 'failed' && e.error.message.endsWith(' is gone') ? [e] : []))
    await expect.poll(() => gone().length, CYCLE_WAIT).toBeGreaterThan(0)
    expect(gone()[0]).toMatchObject({ side: 'target', error: { code: 'NOT_FOUND' } })
    expect(gone()[0]?.error.message).toMatch(/: B .* is gone$/)
    expect(gone()[0]?.error.message).not.toContain('the source')
    expect(await tree(A)).toEqual({ 'x.txt': 'x' })
  })
  it('applies a .syncflowignore changed while watching from the next pass on (reloadFilter)', async () => {
    const { src: A, dst: B } = await tempDirs()
    await writeFile(join(A, 'a.txt'), 'a')
    // As the CLI's: A's rules file read again, a new filter only when its rules changed.
    let rulesInUse: string | undefined
    const reloadFilter = async () => {
      const rules = await readFile(join(A, '.syncflowignore'), 'utf8').catch(() => undefined)
      if (rules === rulesInUse) return undefined
      rulesInUse = rules
      return createPathFilter(rules !== undefined ? { ignoreRules: rules } : {})
    }
    const job = start(A, B, { reloadFilter })
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    await writeFile(join(A, '.syncflowignore'), '*.tmp\n')
    await expect.poll(async () => Object.keys(await tree(B)), CYCLE_WAIT).toContain('.syncflowignore')
    await writeFile(join(A, 'x.tmp'), 'scratch')
    await writeFile(join(A, 'c.txt'), 'c')
    await expect.poll(async () => Object.keys(await tree(B)), CYCLE_WAIT).toContain('c.txt')
    expect(Object.keys(await tree(B))).not.toContain('x.tmp')
    expect(job.events.some((e) => e.type === 'notice' && e.code === 'IGNORE_RULES_CHANGED')).toBe(true)
  })
  it('deletes nothing on A while B is being emptied and its root removed (rm -rf B, slower than the debounce)', async () => {
    const { src: A, dst: B } = await tempDirs()
    const names = ['1', '2', '3', '4', '5', '6'].map((n) => `${n}.txt`)
    // The same files on both sides already: the first pass writes nothing, so no event of its own
    // can start a pass while B is emptied (the removals are then the only events).
    for (const side of [A, B]) {
      for (const n of names) {
        await writeFile(join(side, n), n)
        await utimes(join(side, n), 1_790_000_000, 1_790_000_000)
      }
    }
    const job = start(A, B)
    await expect.poll(() => job.dones().length, CYCLE_WAIT).toBe(1)
    expect(await tree(B)).toEqual(await tree(A))
    // An rm -rf held up by large files: one file every 150 ms (the debounce is 20 ms), then the root.
    for (const n of names) {
      await unlink(join(B, n))
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
    await rm(B, { recursive: true })
    // The job finds B gone…
    await expect
      .poll(() => job.events.some((e) => e.type === 'failed' && e.error.message.endsWith(' is gone')), CYCLE_WAIT)
      .toBe(true)
    // …and ran no delete on A: its first pass after the removals came once they were over.
    expect(Object.keys(await tree(A)).sort()).toEqual(names)
    expect(job.events.filter((e) => e.type === 'completed' && e.action.kind === 'delete')).toEqual([])
  })
})
