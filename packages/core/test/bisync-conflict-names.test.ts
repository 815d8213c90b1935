import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { lastValueFrom, toArray } from 'rxjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type BisyncOptions, bisync } from '../src/bisync/bisync.js'
import { conflictOrigin } from '../src/bisync/conflict-name.js'
import type { RelPath } from '../src/model/rel-path.js'
import type { DoneEvent } from '../src/model/sync-event.js'
import { MemoryStateStore } from '../src/state/memory-state-store.js'
import { put, textTree, twoSides } from './bisync-rename-files.js'

// Two conflicts of one file that the same clock second names (a watch's passes follow each other
// closely), or whose losing versions look alike by size and mtime: each losing version is kept
// (review of watch #1 and #2: the second was kept over the first's copy, or taken for it).

let root: string
let A: string
let B: string
let state: MemoryStateStore
/** Both runs at the same second: the conflict copies' stamps are equal. */
const AT = new Date(Date.UTC(2026, 11, 7, 15, 0, 0))
const STAMP = '20261207-150000'

beforeEach(async () => {
  ;({ root, A, B } = await twoSides('syncflow-bisync-names-'))
  state = new MemoryStateStore()
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function run(opts: Partial<BisyncOptions> = {}): Promise<DoneEvent> {
  const a = createLocalBackend({ root: A, groupCommit: false })
  const b = createLocalBackend({ root: B, groupCommit: false })
  try {
    const events = await lastValueFrom(bisync(a, b, { state, now: () => AT, ...opts }).pipe(toArray()))
    return events.at(-1) as DoneEvent
  } finally {
    await Promise.all([a.close(), b.close()])
  }
}

describe('bisync conflict copies', () => {
  it.each([
    ['in the same second', 30, {}],
    // B2 written 1 s after B1, of the same size: alike by the listing within a 2 s window (a FAT side).
    ['within the modify window, of the same size', 11, { modifyWindowMs: 2000 }],
  ] as const)('two conflicts of one file %s keep both losing versions, on both sides', async (_, b2At, opts) => {
    await put(A, 'f.txt', 'base', 0)
    expect((await run(opts)).summary.failed).toBe(0)

    await put(B, 'f.txt', 'B1', 10)
    await put(A, 'f.txt', 'A1-longer', 20)
    expect((await run(opts)).summary).toMatchObject({ failed: 0 })
    expect(await textTree(A)).toEqual({ 'f.sync-conflict-20261207-150000-B.txt': 'B1', 'f.txt': 'A1-longer' })

    await put(B, 'f.txt', 'B2', b2At)
    await put(A, 'f.txt', 'A2-longer', 40)
    expect((await run(opts)).summary).toMatchObject({ failed: 0 })
    const want = {
      [`f.sync-conflict-${STAMP}-B-2.txt`]: 'B2',
      [`f.sync-conflict-${STAMP}-B.txt`]: 'B1',
      'f.txt': 'A2-longer',
    }
    expect(await textTree(A)).toEqual(want)
    expect(await textTree(B)).toEqual(want)
    // The next run has nothing to do: the numbered copy is in the records as the first is.
    expect((await run(opts)).summary).toMatchObject({ failed: 0, done: { copy: 0, update: 0, delete: 0 } })
  })

  it('reads a numbered conflict copy back to the file it was kept for', () => {
    expect(conflictOrigin(`d/f.sync-conflict-${STAMP}-B-2.txt` as RelPath)).toEqual({ path: 'd/f.txt', side: 'b' })
    expect(conflictOrigin(`.bashrc.sync-conflict-${STAMP}-A-13` as RelPath)).toEqual({ path: '.bashrc', side: 'a' })
  })
})

describe('bisync: a file on one side where the other has a directory with new content', () => {
  const many = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`o${i}.txt`, `o${i}`]))
  const seed = async (dir: string, tree: Record<string, string>) => {
    for (const [path, body] of Object.entries(tree)) await put(dir, path, body, 0)
  }

  it('converges when A replaced a directory by a file while B added a file inside it: both kept', async () => {
    await seed(A, { 'd/x.txt': 'x', ...many })
    expect((await run()).summary.failed).toBe(0)
    await rm(join(A, 'd'), { recursive: true })
    await put(A, 'd', 'file on A', 50)
    await mkdir(join(B, 'd'), { recursive: true })
    await put(B, 'd/new.txt', 'new on B', 50)

    const first = await run()
    expect(first.summary.failed).toBe(0)
    // The directory keeps the name (with B's new file; A's delete of d/x.txt carried), A's file beside it.
    const want = { [`d.sync-conflict-${STAMP}-A`]: 'file on A', 'd/new.txt': 'new on B', ...many }
    expect(await textTree(A)).toEqual(want)
    expect(await textTree(B)).toEqual(want)
    expect((await run()).summary).toMatchObject({ failed: 0, done: { copy: 0, update: 0, delete: 0 } })
  })

  it('converges when A edited a file in a directory B replaced by a file: both kept', async () => {
    await seed(A, { 'd/x.txt': 'x', ...many })
    expect((await run()).summary.failed).toBe(0)
    await put(A, 'd/x.txt', 'x edited on A', 50)
    await rm(join(B, 'd'), { recursive: true })
    await put(B, 'd', 'file on B', 50)

    expect((await run()).summary.failed).toBe(0)
    const want = { [`d.sync-conflict-${STAMP}-B`]: 'file on B', 'd/x.txt': 'x edited on A', ...many }
    expect(await textTree(A)).toEqual(want)
    expect(await textTree(B)).toEqual(want)
  })

  it('converges when B turned a file A edited into a directory with files: both kept', async () => {
    await seed(A, { 'f.txt': 'v1', ...many })
    expect((await run()).summary.failed).toBe(0)
    await put(A, 'f.txt', 'v2 on A', 50)
    await rm(join(B, 'f.txt'))
    await mkdir(join(B, 'f.txt'))
    await put(B, 'f.txt/inner', 'inside on B', 50)

    expect((await run()).summary.failed).toBe(0)
    const want = { [`f.sync-conflict-${STAMP}-A.txt`]: 'v2 on A', 'f.txt/inner': 'inside on B', ...many }
    expect(await textTree(A)).toEqual(want)
    expect(await textTree(B)).toEqual(want)
  })
})
