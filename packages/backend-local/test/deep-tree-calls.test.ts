import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { expect, it, vi } from 'vitest'
import { createLocalBackend } from '../src/index.js'
import { canPinDirectories } from '../src/pinned-dirs.js'
import { p, syncLocal, tempDir } from './helpers.js'

// fx27 gap 2: a tree 500 directories deep, one file each, took minutes through `syncflow serve`
// (6m47s): on both ends the local backend checked each new directory with a realpath (a readlink
// per component from `/`, in libc: O(depth) calls on paths O(depth) long), several times each.
// Counted here through the fs calls themselves, on a local sync (the same backend code on both
// sides), not timed.

const calls = vi.hoisted(() => ({ realpath: 0, open: 0, dirOpen: 0, mkdir: 0, on: false }))

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  const native = (...args: Parameters<typeof fs.realpathSync.native>) => {
    if (calls.on) calls.realpath++
    return fs.realpathSync.native(...args)
  }
  const realpathSync = Object.assign((...args: Parameters<typeof fs.realpathSync>) => fs.realpathSync(...args), {
    native,
  })
  const openSync = (...args: Parameters<typeof fs.openSync>) => {
    if (calls.on) calls.open++
    if (calls.on && typeof args[1] === 'number' && (args[1] & fs.constants.O_DIRECTORY) !== 0) calls.dirOpen++
    return fs.openSync(...args)
  }
  return { ...fs, realpathSync, openSync }
})

vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>()
  const mkdir = (...args: Parameters<typeof fsp.mkdir>) => {
    if (calls.on) calls.mkdir++
    return fsp.mkdir(...args)
  }
  return { ...fsp, mkdir }
})

/** `fn`'s calls counted (see `calls`), from 0. */
async function counted(fn: () => Promise<void>): Promise<typeof calls> {
  Object.assign(calls, { realpath: 0, open: 0, dirOpen: 0, mkdir: 0, on: true })
  try {
    await fn()
  } finally {
    calls.on = false
  }
  return { ...calls }
}

/** `src` made a chain `depth` directories deep (`d/d/…`), a file `f` in each. */
function deepTree(src: string, depth: number): void {
  let dir = src
  for (let i = 0; i < depth; i++) {
    dir = join(dir, 'd')
    mkdirSync(dir)
    writeFileSync(join(dir, 'f'), `${i}\n`)
  }
}

/** The calls counted while a tree `depth` directories deep (see `deepTree`) is synced into an empty directory. */
async function countedDeepSync(depth: number) {
  const src = await tempDir('deep-src')
  const dst = await tempDir('deep-dst')
  deepTree(src, depth)
  return counted(async () => {
    await syncLocal(src, dst)
  })
}

it('a sync of a tree 200 directories deep checks its directories without a realpath each', async () => {
  const DEPTH = 200
  const n = await countedDeepSync(DEPTH)
  // (Before: 992 realpaths for 200 levels, each reading a link per component: O(depth²) calls in all.)
  expect(n.realpath).toBeLessThan(DEPTH / 20)
}, 60_000)

// fx28: what was left of gap 2. Each write into a directory not made yet walked every directory
// from the root (a mkdir and an lstat each), and through directory handles of which 16 were kept:
// with writes at other levels between two steps of a walk (a served sync), the handles it needed
// were gone and each was opened again from the root. Counted as mkdirs and directory opens, which a
// tree D levels deep needs a few of per level: O(D) in all, not O(D²) (nor O(D³)). The bounds are
// 10 per level; the counts are about 4 and 5.

it('a sync of a tree 200 directories deep makes and opens each directory a few times, not once per level below it', async () => {
  const DEPTH = 200
  const n = await countedDeepSync(DEPTH)
  // (Before: 20,701 mkdirs, all but 200 of them EEXIST.)
  expect(n.mkdir).toBeLessThan(10 * DEPTH)
  expect(n.dirOpen).toBeLessThan(10 * DEPTH)
}, 60_000)

it.runIf(canPinDirectories())(
  'writes into a new chain 200 deep, 8 at a time at staggered levels (as a served sync): O(depth) mkdirs and opens',
  async () => {
    const DEPTH = 200
    const b = createLocalBackend({ root: await tempDir('deep-dst') })
    const n = await counted(async () => {
      // Level i is written once level i - 8 is done: each write starts while others are part way.
      const running = new Set<Promise<unknown>>()
      for (let i = 1; i <= DEPTH; i++) {
        if (running.size >= 8) await Promise.race(running)
        const body = Readable.from([Buffer.from(`${i}\n`)])
        const write = b.write(p(`${'d/'.repeat(i)}f`), body, { mtimeMs: Date.UTC(2020, 0, 1) })
        const settled: Promise<unknown> = write.finally(() => running.delete(settled))
        running.add(settled)
      }
      await Promise.all(running)
    })
    await b.close()
    // (Before: 20,301 mkdirs, and from thousands to 680,000 directory opens as the walks interleaved.)
    expect(n.mkdir).toBeLessThan(10 * DEPTH)
    expect(n.dirOpen).toBeLessThan(10 * DEPTH)
  },
  60_000,
)
