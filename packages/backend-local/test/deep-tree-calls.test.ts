import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it, vi } from 'vitest'
import { syncLocal, tempDir } from './helpers.js'

// fx27 gap 2: a tree 500 directories deep, one file each, took minutes through `syncflow serve`
// (6m47s): on both ends the local backend checked each new directory with a realpath (a readlink
// per component from `/`, in libc: O(depth) calls on paths O(depth) long), several times each.
// Counted here through the fs calls themselves, on a local sync (the same backend code on both
// sides), not timed.

const calls = vi.hoisted(() => ({ realpath: 0, open: 0, on: false }))

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
    return fs.openSync(...args)
  }
  return { ...fs, realpathSync, openSync }
})

it('a sync of a tree 200 directories deep checks its directories without a realpath each', async () => {
  const DEPTH = 200
  const src = await tempDir('deep-src')
  const dst = await tempDir('deep-dst')
  let dir = src
  for (let i = 0; i < DEPTH; i++) {
    dir = join(dir, 'd')
    mkdirSync(dir)
    writeFileSync(join(dir, 'f'), `${i}\n`)
  }
  calls.on = true
  try {
    await syncLocal(src, dst)
  } finally {
    calls.on = false
  }
  // (Before: 992 realpaths for 200 levels, each reading a link per component: O(depth²) calls in all.)
  expect(calls.realpath).toBeLessThan(DEPTH / 20)
}, 60_000)
