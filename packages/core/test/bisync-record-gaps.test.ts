import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Backend } from '../src/backend/backend.js'
import { type BisyncOptions, bisync } from '../src/bisync/bisync.js'
import { SyncError } from '../src/errors/sync-error.js'
import { createPathFilter } from '../src/filter/create-path-filter.js'
import type { DoneEvent, SyncEvent } from '../src/model/sync-event.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { put, textTree as tree, twoSides } from './bisync-rename-files.js'

let root: string
let A: string
let B: string
let state: MemoryStateStore

beforeEach(async () => {
  ;({ root, A, B } = await twoSides('syncflow-record-gaps-'))
  state = new MemoryStateStore()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A backend whose writes of `failing` paths fail (any method given that path as a string argument). */
function failingOn(b: Backend, failing: Set<string>): Backend {
  return new Proxy(b, {
    get(t, p) {
      const v = Reflect.get(t, p, t)
      if (typeof v !== 'function') return v
      if (['write', 'copy', 'copyFrom', 'move', 'setMtime'].includes(String(p))) {
        return async (...args: unknown[]) => {
          if (args.some((x) => typeof x === 'string' && failing.has(x))) {
            throw new SyncError('PERMISSION', `injected failure on ${String(args[0])}`, { op: String(p) })
          }
          return v.apply(t, args)
        }
      }
      return v.bind(t)
    },
  })
}

async function run(
  opts: Partial<BisyncOptions> = {},
  wrapA: (b: Backend) => Backend = (b) => b,
  bOverride?: Backend,
): Promise<{ events: SyncEvent[]; done: DoneEvent }> {
  const a = createLocalBackend({ root: A, groupCommit: false })
  const b = bOverride ?? createLocalBackend({ root: B, groupCommit: false })
  try {
    const events = await lastValueFrom(bisync(wrapA(a), b, { state, ...opts }).pipe(toArray()))
    return { events, done: events.at(-1) as DoneEvent }
  } finally {
    await a.close()
    if (!bOverride) await b.close()
  }
}
const plannedOf = (events: SyncEvent[]) =>
  events.flatMap((e) => (e.type === 'planned' ? [`${e.action.to} ${e.action.kind} ${e.action.path}`] : [])).sort()

describe('bisync: records from before an exclusion (RecordGaps), from the review of its first version', () => {
  it('a delete made while d/ was excluded is not carried after a run that failed to copy it back', async () => {
    for (const d of [A, B]) {
      await put(d, 'd/x', 'x', 1)
      await put(d, 'd/y', 'y', 1)
    }
    await run()
    await rm(join(A, 'd/x'))
    await run({ filter: createPathFilter({ exclude: ['d/'] }) })
    // Included again: d/x should come back to A; its copy fails this time.
    const failed = await run({}, (b) => failingOn(b, new Set(['d/x'])))
    expect(plannedOf(failed.events)).toEqual(['a copy d/x'])
    expect(failed.done.summary.failed).toBeGreaterThan(0)
    // Rerun, nothing failing: d/x must still come back to A, never be deleted from B.
    const again = await run()
    expect(plannedOf(again.events)).toEqual(['a copy d/x'])
    expect(await tree(B)).toEqual({ 'd/x': 'x', 'd/y': 'y' })
  })

  it('regression: deletes carry below directories a first run made (mkdir) and below --include walked directories', async () => {
    await put(A, 'm/n/x.c', 'x', 1)
    await put(A, 'm/n/y.c', 'y', 1)
    await put(B, 'w/z.c', 'z', 1)
    await put(B, 'w/keep.txt', 't', 1)
    const filter = createPathFilter({ include: ['*.c'] })
    await run({ filter })
    expect(await tree(B)).toMatchObject({ 'm/n/x.c': 'x' })
    await rm(join(B, 'm/n/x.c'))
    await rm(join(A, 'w/z.c'))
    const second = await run({ filter })
    expect(plannedOf(second.events)).toEqual(['a delete m/n/x.c', 'b delete w/z.c'])
    await rm(join(A, 'm/n/y.c'))
    const third = await run()
    expect(plannedOf(third.events)).toContain('b delete m/n/y.c')
  })

  it('names sorting around "/" (a, a-b, a.txt, a/x, a0): only the excluded directory loses trust', async () => {
    for (const d of [A, B]) {
      for (const f of ['a-b', 'a.txt', 'a/x', 'a/y/z', 'a0', 'a-b2/q']) await put(d, f, f, 1)
    }
    await run()
    await rm(join(A, 'a/x'))
    await run({ filter: createPathFilter({ exclude: ['a/'] }) })
    await rm(join(A, 'a-b'))
    await rm(join(A, 'a0'))
    await rm(join(B, 'a-b2/q'))
    await rm(join(A, 'a.txt'))
    const back = await run()
    expect(plannedOf(back.events)).toEqual([
      'a copy a/x',
      'a delete a-b2/q',
      'b delete a-b',
      'b delete a.txt',
      'b delete a0',
    ])
  })

  it('a directory excluded on one run, then a sub-directory of it on the next: no delete carried', async () => {
    for (const d of [A, B]) for (const f of ['d/e/f/x', 'd/e/y', 'd/z']) await put(d, f, f, 1)
    await run()
    await run({ filter: createPathFilter({ exclude: ['d/'] }) })
    await rm(join(A, 'd/e/f/x'))
    await rm(join(B, 'd/z'))
    await run({ filter: createPathFilter({ exclude: ['d/e/'] }) })
    await rm(join(B, 'd/e/y'))
    const back = await run()
    expect(plannedOf(back.events)).toEqual(['a copy d/e/f/x', 'b copy d/e/y'])
    const all = { 'd/e/f/x': 'd/e/f/x', 'd/e/y': 'd/e/y', 'd/z': 'd/z' }
    expect(await tree(A)).toEqual(all)
    expect(await tree(B)).toEqual(all)
  })

  it('track-renames: a file renamed out of a once-excluded directory is not lost', async () => {
    for (const d of [A, B]) await put(d, 'd/x', 'content-x', 1)
    await run({ trackRenames: true } as Partial<BisyncOptions>)
    await run({ filter: createPathFilter({ exclude: ['d/'] }), trackRenames: true } as Partial<BisyncOptions>)
    const { rename } = await import('node:fs/promises')
    await rename(join(A, 'd/x'), join(A, 'y'))
    const back = await run({ trackRenames: true } as Partial<BisyncOptions>)
    expect(back.done.summary.failed).toBe(0)
    const t = await tree(B)
    expect(t.y).toBe('content-x')
  })

  it('interrupted (Ctrl-C) while copying back a file deleted while excluded: the rerun deletes it from B', async () => {
    for (const d of [A, B]) {
      await put(d, 'd/x', 'x', 1)
      for (let i = 0; i < 600; i++) await put(d, `d/f${String(i).padStart(3, '0')}`, `f${i}`, 1)
    }
    await run()
    await rm(join(A, 'd/x'))
    await run({ filter: createPathFilter({ exclude: ['d/'] }) })
    const ctl = new AbortController()
    const stopping = (b: Backend): Backend =>
      new Proxy(b, {
        get(t, p) {
          const v = Reflect.get(t, p, t)
          if (typeof v !== 'function') return v
          if (['write', 'copy', 'copyFrom'].includes(String(p))) {
            return async (...args: unknown[]) => {
              if (args.some((x) => x === 'd/x')) {
                ctl.abort()
                throw new SyncError('ABORTED', 'interrupted by the user', { op: String(p) })
              }
              return v.apply(t, args)
            }
          }
          return v.bind(t)
        },
      })
    const stopped = await run({ signal: ctl.signal }, stopping)
    expect(stopped.done.summary.interrupted).toBe(true)
    const again = await run()
    expect(plannedOf(again.events)).toEqual(['a copy d/x'])
    expect(Object.keys(await tree(B))).toContain('d/x')
  })

  it('regression: a directory deleted on A while B added to it keeps it; a later delete inside it is carried', async () => {
    for (const d of [A, B]) {
      await put(d, 'keep', 'k', 1)
      await put(d, 'd/old', 'o', 1)
    }
    await run()
    await rm(join(A, 'd'), { recursive: true })
    await put(B, 'd/new', 'n', 2)
    const second = await run()
    expect(plannedOf(second.events)).toContain('a copy d/new')
    expect(await tree(A)).toEqual({ 'd/new': 'n', keep: 'k' })
    await rm(join(A, 'd/new'))
    const third = await run()
    expect(plannedOf(third.events)).toEqual(['b delete d/new'])
  })

  it('regression: a directory renamed on A (no track-renames): a later delete inside it is carried', async () => {
    for (const d of [A, B]) await put(d, 'keep', 'k', 1)
    await put(A, 'n/x', 'x', 1)
    await put(A, 'n/y', 'y', 1)
    await put(B, 'n/z', 'z', 1)
    await run()
    await rm(join(B, 'n/x'))
    const second = await run()
    expect(plannedOf(second.events)).toEqual(['a delete n/x'])
  })

  it('regression: a file turned into a directory on B (kind clash) — later deletes inside it carry', async () => {
    for (const d of [A, B]) {
      await put(d, 'keep', 'k', 1)
      await put(d, 'd', 'file-d', 1)
    }
    await run()
    await rm(join(B, 'd'))
    await put(B, 'd/f', 'f', 2)
    await put(B, 'd/g', 'g', 2)
    await run()
    expect(await tree(A)).toMatchObject({ 'd/f': 'f', 'd/g': 'g' })
    await rm(join(A, 'd/f'))
    const third = await run()
    expect(plannedOf(third.events)).toEqual(['b delete d/f'])
  })
})
