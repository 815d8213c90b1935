import { execFileSync } from 'node:child_process'
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import fc from 'fast-check'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemBackend } from '../src/backend/mem-backend.js'
import { type BisyncOptions, bisync } from '../src/bisync/bisync.js'
import { SyncError } from '../src/errors/sync-error.js'
import { createPathFilter } from '../src/filter/create-path-filter.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { put, textTree as tree, twoSides } from './bisync-rename-files.js'

/** Two real local directories synced both ways, with one job's records kept between runs. */
let root: string
let A: string
let B: string
let state: MemoryStateStore
const AT = new Date(Date.UTC(2026, 11, 6, 23, 30, 0))
const STAMP = '20261206-233000'

beforeEach(async () => {
  ;({ root, A, B } = await twoSides('syncflow-bisync-'))
  state = new MemoryStateStore()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function run(opts: Partial<BisyncOptions> = {}): Promise<{ events: SyncEvent[]; done: DoneEvent }> {
  const a = createLocalBackend({ root: A, groupCommit: false })
  const b = createLocalBackend({ root: B, groupCommit: false })
  try {
    const events = await lastValueFrom(bisync(a, b, { state, now: () => AT, ...opts }).pipe(toArray()))
    const done = events.at(-1) as DoneEvent
    expect(done.type).toBe('done')
    return { events, done }
  } finally {
    await a.close()
    await b.close()
  }
}

const plannedOf = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'planned' ? [`${e.action.to} ${e.action.kind} ${e.action.path}`] : [])).sort()

describe('bisync (local directories both ways)', () => {
  it('makes the union on a first run, deleting nothing, and a second run finds nothing to do', async () => {
    await put(A, 'only-a.txt', 'a', 1)
    await put(B, 'sub/only-b.txt', 'b', 2)
    await put(A, 'same.txt', 'same', 3)
    await put(B, 'same.txt', 'same', 3)
    const first = await run()
    expect(plannedOf(first.events)).toEqual(['a copy sub/only-b.txt', 'a mkdir sub', 'b copy only-a.txt'])
    expect(first.done.summary.failed).toBe(0)
    expect(await tree(A)).toEqual({ 'only-a.txt': 'a', 'same.txt': 'same', 'sub/only-b.txt': 'b' })
    expect(await tree(B)).toEqual(await tree(A))
    const second = await run()
    expect(plannedOf(second.events)).toEqual([])
    expect(second.done.summary.unchanged).toBe(3)
  })

  it('carries changes and deletes from the side that made them', async () => {
    for (const d of [A, B]) {
      await put(d, 'edit-on-a.txt', 'v1', 1)
      await put(d, 'edit-on-b.txt', 'v1', 1)
      await put(d, 'gone-on-a.txt', 'v1', 1)
      await put(d, 'dir/gone-on-b.txt', 'v1', 1)
    }
    await run()
    await put(A, 'edit-on-a.txt', 'v2 from a', 5)
    await put(B, 'edit-on-b.txt', 'v2 from b', 6)
    await rm(join(A, 'gone-on-a.txt'))
    await rm(join(B, 'dir'), { recursive: true })
    const { events, done } = await run()
    expect(plannedOf(events)).toEqual([
      'a delete dir',
      'a delete dir/gone-on-b.txt',
      'a update edit-on-b.txt',
      'b delete gone-on-a.txt',
      'b update edit-on-a.txt',
    ])
    expect(done.summary.failed).toBe(0)
    const want = { 'edit-on-a.txt': 'v2 from a', 'edit-on-b.txt': 'v2 from b' }
    expect(await tree(A)).toEqual(want)
    expect(await tree(B)).toEqual(want)
    expect(await readdir(A)).not.toContain('dir')
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it('keeps both versions of a file changed on both sides, the newer under its name', async () => {
    await put(A, 'notes.txt', 'v1', 1)
    await run()
    await put(A, 'notes.txt', 'older edit on a', 10)
    await put(B, 'notes.txt', 'newer edit on b', 20)
    const { done } = await run()
    expect(done.summary.failed).toBe(0)
    const want = { 'notes.txt': 'newer edit on b', [`notes.sync-conflict-${STAMP}-A.txt`]: 'older edit on a' }
    expect(await tree(A)).toEqual(want)
    expect(await tree(B)).toEqual(want)
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it("says which version keeps the name: the newer, or A's on a tie of mtimes", async () => {
    await put(A, 'n.txt', 'v1', 1)
    await put(A, 't.txt', 'v1', 1)
    await run()
    await put(A, 'n.txt', 'old edit on a', 10)
    await put(B, 'n.txt', 'new edit on b', 20)
    await put(A, 't.txt', 'edit on a', 30)
    await put(B, 't.txt', 'other edit on b', 30)
    const { events } = await run()
    const notes = events.flatMap((e) => (e.type === 'notice' && e.code === 'CONFLICT_KEPT' ? [e.message] : []))
    expect(notes.sort()).toEqual([
      `n.txt changed on both sides: B's version (the newer) keeps the name, A's is kept as n.sync-conflict-${STAMP}-A.txt on both`,
      `t.txt changed on both sides: A's version (as new as B's: A wins a tie) keeps the name, B's is kept as t.sync-conflict-${STAMP}-B.txt on both`,
    ])
  })

  it('plans in a dry run what the real run does with a conflict, the conflict copy crossing included', async () => {
    await put(A, 'notes.txt', 'v1', 1)
    await put(A, 'd/x.md', 'v1', 1)
    await run()
    await put(A, 'notes.txt', 'older edit on a', 10)
    await put(B, 'notes.txt', 'newer edit on b', 20)
    await put(A, 'd/x.md', 'newer edit on a', 30)
    await put(B, 'd/x.md', 'older on b', 25)
    const dry = await run({ dryRun: true })
    const real = await run()
    expect(real.done.summary.failed).toBe(0)
    const want = [
      `a copy notes.sync-conflict-${STAMP}-B.txt`.replace('notes', 'd/x').replace('.txt', '.md'),
      'a update notes.txt',
      `b copy notes.sync-conflict-${STAMP}-A.txt`,
      'b update d/x.md',
    ].sort()
    expect(plannedOf(real.events)).toEqual(want)
    expect(plannedOf(dry.events)).toEqual(want)
    const counts = (d: DoneEvent) => ({ ...d.summary.planned })
    expect(counts(dry.done)).toEqual(counts(real.done))
  })

  it('records a conflict copy whose mtime has sub-millisecond digits: a second run finds nothing', async () => {
    await put(A, 'notes.txt', 'v1', 1)
    await run()
    await put(A, 'notes.txt', 'older edit on a', 10)
    await put(B, 'notes.txt', 'newer edit on b', 20)
    // A's edit has an mtime in nanoseconds, as an editor's write gives it: its copy on B is set to
    // the microsecond (utimes), so the two copies' mtimes differ below that.
    execFileSync('touch', ['-d', '@1790000010.123456789', join(A, 'notes.txt')])
    expect((await run()).done.summary.failed).toBe(0)
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it('re-runs a run killed after keeping a conflict copy: that copy crosses, no second one, nothing fails', async () => {
    await put(A, 'notes.txt', 'v1', 1)
    await run()
    await put(A, 'notes.txt', 'older edit on a', 10)
    await put(B, 'notes.txt', 'newer edit on b', 20)
    // What the killed run left: A's version kept by a hard link under its conflict name, on A only.
    const kept = 'notes.sync-conflict-20261206-232900-A.txt'
    await link(join(A, 'notes.txt'), join(A, kept))
    const { done } = await run()
    expect(done.summary.failed).toBe(0)
    const want = { 'notes.txt': 'newer edit on b', [kept]: 'older edit on a' }
    expect(await tree(A)).toEqual(want)
    expect(await tree(B)).toEqual(want)
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it('restores a file changed on one side and deleted on the other', async () => {
    await put(A, 'keep.txt', 'v1', 1)
    await run()
    await put(A, 'keep.txt', 'v2', 9)
    await rm(join(B, 'keep.txt'))
    await run()
    expect(await tree(B)).toEqual({ 'keep.txt': 'v2' })
    expect(await tree(A)).toEqual({ 'keep.txt': 'v2' })
  })

  it('keeps a directory deleted on one side where the other added a file to it', async () => {
    await put(A, 'd/old.txt', 'old', 1)
    await put(A, 'other.txt', 'other', 1)
    await run()
    await rm(join(B, 'd'), { recursive: true })
    await put(A, 'd/new.txt', 'new', 5)
    const { done } = await run()
    expect(done.summary.failed).toBe(0)
    expect(done.summary.deletesSuppressed).toBeUndefined()
    const want = { 'd/new.txt': 'new', 'other.txt': 'other' }
    expect(await tree(A)).toEqual(want)
    expect(await tree(B)).toEqual(want)
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it('keeps a directory deleted on one side where the other holds excluded files in it, and says that is why', async () => {
    const filter = createPathFilter({ exclude: ['*.log', 'cache/'] })
    for (const n of [1, 2, 3, 4]) await put(A, `keep${n}.txt`, `${n}`, n)
    await put(A, 'd/f.txt', 'f', 1)
    await put(A, 'd/e/g.txt', 'g', 1)
    await run({ filter })
    await put(B, 'd/e/run.log', 'excluded, on B only', 2)
    await put(B, 'd/e/cache/blob', 'excluded too', 2)
    await rm(join(A, 'd'), { recursive: true })
    for (const dryRun of [true, false]) {
      const { events, done } = await run({ filter, dryRun })
      expect(done.summary.failed).toBe(0)
      const kept = events.flatMap((e) => (e.type === 'skipped' ? [`${e.path}: ${e.reason}`] : []))
      expect(kept.sort()).toEqual([
        'd/e: kept on B: it holds what the filters exclude (d/e/cache, d/e/run.log), which two-way sync leaves as it is',
        'd: kept on B: it holds what the filters exclude (d/e/cache, d/e/run.log), which two-way sync leaves as it is',
      ])
      expect(plannedOf(events)).toEqual(['b delete d/e/g.txt', 'b delete d/f.txt'])
    }
    expect(await tree(B)).toEqual({
      'd/e/cache/blob': 'excluded too',
      'd/e/run.log': 'excluded, on B only',
      'keep1.txt': '1',
      'keep2.txt': '2',
      'keep3.txt': '3',
      'keep4.txt': '4',
    })
  })

  it('carries no delete made while a path was excluded: included again, it is copied back (review R13), and later deletes carry again', async () => {
    for (const d of [A, B]) {
      await put(d, 'keep.txt', 'k', 1)
      await put(d, 'x.log', 'log', 1)
      await put(d, 'cache/a', 'a', 1)
      await put(d, 'cache/deep/b', 'b', 1)
      await put(d, 'cache/c', 'c', 1)
    }
    await run()
    const filter = createPathFilter({ exclude: ['*.log', 'cache/'] })
    // Deleted while excluded: on A a file the filter names, on B two inside the excluded directory.
    await rm(join(A, 'x.log'))
    await rm(join(B, 'cache/deep'), { recursive: true })
    await rm(join(B, 'cache/a'))
    const excluded = await run({ filter })
    expect(plannedOf(excluded.events)).toEqual([])
    // Included again: what one side still holds goes to the other; nothing is deleted.
    for (const dryRun of [true, false]) {
      const { events, done } = await run({ dryRun })
      expect(plannedOf(events)).toEqual(['a copy x.log', 'b copy cache/a', 'b copy cache/deep/b', 'b mkdir cache/deep'])
      expect(done.summary.done.delete).toBe(0)
    }
    const all = { 'cache/a': 'a', 'cache/c': 'c', 'cache/deep/b': 'b', 'keep.txt': 'k', 'x.log': 'log' }
    expect(await tree(A)).toEqual(all)
    expect(await tree(B)).toEqual(all)
    // Recorded again: a delete made now is carried, inside the directory too.
    expect(plannedOf((await run()).events)).toEqual([])
    await rm(join(B, 'cache/deep/b'))
    await rm(join(A, 'x.log'))
    expect(plannedOf((await run()).events)).toEqual(['a delete cache/deep/b', 'b delete x.log'])
  })

  it('deletes nothing from a side whose other side has no files left, and says so', async () => {
    await put(A, 'd/only.txt', 'x', 1)
    await run()
    await rm(join(B, 'd'), { recursive: true })
    const { done } = await run()
    // (Said of the sides by their names: no "source" or "target" in a two-way run.)
    expect(done.summary.deletesSuppressed).toBe(
      'B is empty: refusing to delete all 1 file(s) of A (use --allow-empty-source if that is what you want)',
    )
    expect(await tree(A)).toEqual({ 'd/only.txt': 'x' })
  })

  it('writes nothing into a side that lost its files (an unmounted disk), so an edit of the other survives its return', async () => {
    for (const n of [1, 2, 3]) await put(A, `f${n}.txt`, `v1 ${n}`, n)
    await run()
    // A's disk is unmounted: its mount point, an empty directory, is what the run finds.
    await rename(A, `${A}.disk`)
    await mkdir(A)
    await put(B, 'f1.txt', 'v2 edited on b', 100)
    const { done, events } = await run()
    expect(done.summary.deletesSuppressed).toMatch(/empty/i)
    expect(events.some((e) => e.type === 'skipped' && e.path === 'f1.txt')).toBe(true)
    expect(await tree(A)).toEqual({})
    // The disk is back: B's edit goes to it, not A's old version over B's edit.
    await rm(A, { recursive: true })
    await rename(`${A}.disk`, A)
    await run()
    const want = { 'f1.txt': 'v2 edited on b', 'f2.txt': 'v1 2', 'f3.txt': 'v1 3' }
    expect(await tree(B)).toEqual(want)
    expect(await tree(A)).toEqual(want)
  })

  it('deletes nothing when a side lost most of its files (max-delete 50% by default), and says so', async () => {
    for (const n of [1, 2, 3, 4]) await put(A, `f${n}.txt`, `${n}`, n)
    await run()
    for (const n of [1, 2, 3]) await rm(join(A, `f${n}.txt`))
    const { done } = await run()
    expect(done.summary.deletesSuppressed).toBe("3 deletes (75.0% of B's 4 files) exceed --max-delete 50%: none run")
    expect(Object.keys(await tree(B))).toEqual(['f1.txt', 'f2.txt', 'f3.txt', 'f4.txt'])
    await run({ maxDelete: { percent: 100 } })
    expect(Object.keys(await tree(B))).toEqual(['f4.txt'])
  })

  it('writes nothing in a dry run, records included', async () => {
    await put(A, 'x.txt', 'x', 1)
    const { events } = await run({ dryRun: true })
    expect(plannedOf(events)).toEqual(['b copy x.txt'])
    expect(await tree(B)).toEqual({})
    expect(plannedOf((await run({ dryRun: true })).events)).toEqual(['b copy x.txt'])
  })

  it('takes a missing root as empty on a first run only, and refuses it after', async () => {
    await put(A, 'x.txt', 'x', 1)
    await rm(B, { recursive: true })
    const first = await run()
    expect(first.done.summary.fatal).toBeUndefined()
    expect(await tree(B)).toEqual({ 'x.txt': 'x' })
    await rm(B, { recursive: true })
    const { done } = await run()
    expect(done.summary.fatal).toMatchObject({ code: 'NOT_FOUND', hint: expect.stringMatching(/never taken as empty/) })
    expect(await tree(A)).toEqual({ 'x.txt': 'x' })
    await rm(A, { recursive: true })
    expect((await run()).done.summary.fatal).toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('bisync: a side gone during the run', () => {
  // Review 39: a watch's pass between two removals of a slow `rm -rf B` saw B's files vanish one by
  // one, each below --max-delete, and deleted them on A. The roots are looked at again before deletes.
  it('deletes nothing on either side when a root is gone by the time the deletes would run', async () => {
    for (const n of [1, 2, 3, 4]) await put(A, `f${n}.txt`, `${n}`, n)
    await run()
    // B loses one file (as to the user's delete), and is then gone before the deletes: its root
    // is found there when the run begins, missing when its deletes would start.
    await rm(join(B, 'f1.txt'))
    const a = createLocalBackend({ root: A, groupCommit: false })
    const b = createLocalBackend({ root: B, groupCommit: false })
    let asked = 0
    const vanishing = new Proxy(b, {
      get: (t, k) => {
        if (k === 'rootExists') return async () => ++asked === 1 && (await t.rootExists())
        const v = Reflect.get(t, k)
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
    const events = await lastValueFrom(bisync(a, vanishing, { state, now: () => AT }).pipe(toArray()))
    await a.close()
    await b.close()
    expect(asked).toBe(2)
    expect(plannedOf(events)).toEqual(['a delete f1.txt'])
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'failed', error: expect.objectContaining({ code: 'NOT_FOUND' }) }),
    )
    expect((events.at(-1) as DoneEvent).summary.deletesSuppressed).toBeDefined()
    expect(Object.keys(await tree(A))).toEqual(['f1.txt', 'f2.txt', 'f3.txt', 'f4.txt'])
  })
})

describe('bisync (property: a real run over local directories)', () => {
  const PATHS = ['p.txt', 'd/q.txt', 'd/e/r.txt'] as const
  type Change = 'keep' | 'edit' | 'delete'
  const pathCase = fc.oneof(
    fc.record({
      synced: fc.constant(true),
      a: fc.constantFrom<Change>('keep', 'edit', 'delete'),
      b: fc.constantFrom<Change>('keep', 'edit', 'delete'),
    }),
    fc.record({ synced: fc.constant(false), a: fc.boolean(), b: fc.boolean() }),
  )

  it('leaves both sides equal, never loses a version, and a second run finds nothing', async () => {
    let round = 0
    await fc.assert(
      fc.asyncProperty(fc.tuple(...PATHS.map(() => pathCase)), async (cases) => {
        round++
        await rm(A, { recursive: true, force: true })
        await rm(B, { recursive: true, force: true })
        await mkdir(A)
        await mkdir(B)
        state = new MemoryStateStore()
        // Each version has its own content and mtime: size and mtime tell versions apart, as they must.
        let n = 0
        const version = (path: string) => ({ body: `${path} v${++n} r${round}`, sec: 10 * n })
        const safe = { maxDelete: { percent: 100 }, allowEmptySource: true } as const
        for (const [i, c] of cases.entries()) {
          if (!c.synced) continue
          const v = version(PATHS[i]!)
          await put(A, PATHS[i]!, v.body, v.sec)
        }
        await run(safe)
        const made = new Set<string>()
        for (const [i, c] of cases.entries()) {
          const p = PATHS[i]!
          for (const [dir, change] of [
            [A, c.a],
            [B, c.b],
          ] as const) {
            if (change === 'delete') await rm(join(dir, p))
            if (change === 'edit' || change === true) {
              const v = version(p)
              await put(dir, p, v.body, v.sec)
              made.add(v.body)
            }
          }
        }
        const { done } = await run(safe)
        expect(done.summary.failed).toBe(0)
        const [ta, tb] = [await tree(A), await tree(B)]
        expect(ta).toEqual(tb)
        const kept = new Set(Object.values(ta))
        for (const body of made) expect(kept.has(body), body).toBe(true)
        expect(plannedOf((await run(safe)).events)).toEqual([])
      }),
      { numRuns: 40 },
    )
  }, 120_000)
})

describe('bisync --checksum (compare: checksum): two present versions told apart by content', () => {
  /** A local backend that offers no hash: --checksum then has nothing to compare by. */
  const hashless = (root: string) => {
    const b = createLocalBackend({ root, groupCommit: false })
    const capabilities = { ...b.capabilities, hashes: [] }
    return new Proxy(b, {
      get: (t, k) => {
        if (k === 'capabilities') return capabilities
        const v = Reflect.get(t, k)
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
  }
  const mtimeOf = async (path: string) => Math.round((await stat(path)).mtimeMs)

  it('carries the mtime of a file touched on one side (a touch, no copy), and a later run finds nothing', async () => {
    await put(A, 'same.txt', 'same bytes', 1)
    await run()
    await put(A, 'same.txt', 'same bytes', 50)
    const { events, done } = await run({ compare: 'checksum' })
    expect(plannedOf(events)).toEqual(['b touch same.txt'])
    expect(done.summary.failed).toBe(0)
    expect(done.summary.bytesTransferred).toBe(0)
    expect(await mtimeOf(join(B, 'same.txt'))).toBe(await mtimeOf(join(A, 'same.txt')))
    // Carried, not only recorded: a run without --checksum (or with no records) finds them equal too.
    expect(plannedOf((await run()).events)).toEqual([])
    state = new MemoryStateStore()
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it('still copies a change of content that kept the size', async () => {
    await put(A, 'f.txt', 'v1', 1)
    await run()
    await put(B, 'f.txt', 'v2', 60)
    const { events } = await run({ compare: 'checksum' })
    expect(plannedOf(events)).toEqual(['a update f.txt'])
    expect(await tree(A)).toEqual({ 'f.txt': 'v2' })
  })

  it('takes a file changed on both sides to the same bytes as no conflict: the newer mtime goes to both', async () => {
    await put(A, 'notes.txt', 'v1', 1)
    await run()
    await put(A, 'notes.txt', 'the same edit', 10)
    await put(B, 'notes.txt', 'the same edit', 20)
    const { events, done } = await run({ compare: 'checksum' })
    expect(events.some((e) => e.type === 'notice' && e.code === 'CONFLICT_KEPT')).toBe(false)
    expect(plannedOf(events)).toEqual(['a touch notes.txt'])
    expect(done.summary.failed).toBe(0)
    expect(await tree(A)).toEqual({ 'notes.txt': 'the same edit' })
    expect(await tree(B)).toEqual({ 'notes.txt': 'the same edit' })
    expect(await mtimeOf(join(A, 'notes.txt'))).toBe(await mtimeOf(join(B, 'notes.txt')))
    expect(plannedOf((await run()).events)).toEqual([])
  })

  it('takes the same bytes on both sides of a first run as in sync, whatever their mtimes', async () => {
    await put(A, 'x.txt', 'x', 1)
    await put(B, 'x.txt', 'x', 7)
    await put(A, 'y.txt', 'y1', 1)
    await put(B, 'y.txt', 'y2', 7)
    const { events } = await run({ compare: 'checksum' })
    expect(plannedOf(events).filter((p) => p.includes('x.txt'))).toEqual(['a touch x.txt'])
    // (y.txt's bytes differ: a conflict, both kept.)
    expect(events.some((e) => e.type === 'notice' && e.code === 'CONFLICT_KEPT' && e.path === 'y.txt')).toBe(true)
  })

  it('leaves a file whose hash cannot be read as it is, says so, and deletes nothing', async () => {
    await put(A, 'same.txt', 'same bytes', 1)
    await put(A, 'gone.txt', 'g', 1)
    await put(A, 'keep1.txt', 'k', 1)
    await put(A, 'keep2.txt', 'k', 1)
    await run()
    await put(A, 'same.txt', 'same bytes', 50)
    await rm(join(A, 'gone.txt'))
    const a = createLocalBackend({ root: A, groupCommit: false })
    const b = createLocalBackend({ root: B, groupCommit: false })
    const refusing = new Proxy(b, {
      get: (t, k) => {
        if (k === 'hash')
          return () => Promise.reject(new SyncError('PERMISSION', 'permission denied', { path: 'same.txt' }))
        const v = Reflect.get(t, k)
        return typeof v === 'function' ? v.bind(t) : v
      },
    })
    const events = await lastValueFrom(
      bisync(a, refusing, { state, now: () => AT, compare: 'checksum' }).pipe(toArray()),
    )
    await a.close()
    await b.close()
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'failed',
        path: 'same.txt',
        stage: 'plan',
        error: expect.objectContaining({ code: 'PERMISSION' }),
      }),
    )
    expect(plannedOf(events)).toEqual(['b delete gone.txt'])
    expect((events.at(-1) as DoneEvent).summary.deletesSuppressed).toBeDefined()
    expect(Object.keys(await tree(B))).toContain('gone.txt')
  })

  it('falls back to size and mtime where the sides share no hash, and says so', async () => {
    await put(A, 'same.txt', 'same bytes', 1)
    await run()
    await put(A, 'same.txt', 'same bytes', 50)
    const a = hashless(A)
    const b = hashless(B)
    const events = await lastValueFrom(bisync(a, b, { state, now: () => AT, compare: 'checksum' }).pipe(toArray()))
    await a.close()
    await b.close()
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'notice',
        code: 'NO_COMMON_HASH',
        message: expect.stringMatching(/A .* B .*share no hash.*size and mtime/),
      }),
    )
    expect(plannedOf(events)).toEqual(['b update same.txt'])
  })
})

describe('bisync with a side that holds no empty directories (S3)', () => {
  // Review of S3: one-way sync plans no mkdir into such a side, but bisync planned one ("created
  // emptyd (A → B)"), recorded the directory as on both sides, and the next run, not finding it in
  // B's listing, took it for deleted on B and deleted the user's empty directory on A.
  it('keeps an empty directory of A, plans nothing for it, and a later run finds nothing to do', async () => {
    const b = createMemBackend({ capabilities: { emptyDirs: false } })
    const runWith = async () => {
      const a = createLocalBackend({ root: A, groupCommit: false })
      try {
        const events = await lastValueFrom(bisync(a, b, { state, now: () => AT }).pipe(toArray()))
        expect(events.filter((e) => e.type === 'failed')).toEqual([])
        return plannedOf(events)
      } finally {
        await a.close()
      }
    }
    await mkdir(join(A, 'empty'))
    await put(A, 'full/f', 'f', 1)
    expect(await runWith()).toEqual(['b copy full/f'])
    for (let i = 0; i < 2; i++) {
      expect(await runWith()).toEqual([])
      expect((await stat(join(A, 'empty'))).isDirectory()).toBe(true)
    }
    // The files of a directory deleted on B go on A; the directory, which B never held, stays.
    await b.remove('full/f' as RelPath)
    expect(await runWith()).toEqual(['a delete full/f'])
    expect(await readdir(A)).toEqual(expect.arrayContaining(['empty', 'full']))
  })
})
