import { mkdir, rename, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// What a cycle's summary says of renames, on real local directories.

afterAll(removeTempDirs)
afterEach(stopJobs)

describe('continuousSync counts a move once', () => {
  it('a renamed file and a renamed directory are moved, not also unchanged', async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'a.txt'), 'alpha')
    await mkdir(join(src, 'dir'))
    for (let i = 0; i < 5; i++) await writeFile(join(src, 'dir', `f${i}`), `file ${i}`)
    const job = start(local(src), local(dst), { batchQuietMs: 200 })
    await expect.poll(async () => Object.keys(await tree(dst)).length).toBe(6)
    const before = job.cycles().length

    await rename(join(src, 'a.txt'), join(src, 'a2.txt'))
    await expect.poll(async () => Object.keys(await tree(dst)).includes('a2.txt')).toBe(true)
    await expect
      .poll(() =>
        job
          .cycles()
          .slice(before)
          .some((c) => c.summary.done.move > 0),
      )
      .toBe(true)
    const fileMove = job.cycles().find((c, i) => i >= before && c.summary.done.move > 0)
    expect(fileMove?.summary).toMatchObject({ done: { move: 1, copy: 0 }, unchanged: 0 })

    const mid = job.cycles().length
    await rename(join(src, 'dir'), join(src, 'dir2'))
    await expect.poll(async () => Object.keys(await tree(dst)).filter((p) => p.startsWith('dir2/')).length).toBe(5)
    await expect
      .poll(() =>
        job
          .cycles()
          .slice(mid)
          .some((c) => c.summary.done.move > 0),
      )
      .toBe(true)
    const moved = job.cycles().slice(mid)
    expect(moved.reduce((n, c) => n + c.summary.done.move, 0)).toBe(5)
    expect(moved.reduce((n, c) => n + c.summary.unchanged, 0)).toBe(0)
    const last = await job.stop()
    expect(last.summary).toMatchObject({ done: { move: 6, copy: 6 } })
    // Only the initial sync's nothing: no file counted as unchanged.
    expect(last.summary.unchanged).toBe(0)
  })

  // QA 28d: the moves of a cycle run outside its sync, whose DirectoryTimes set back the mtimes of
  // the directories it writes into: a rename left its directory in the target with the time of the
  // move, and `check` after it said "touch d (mtime differs)", exit 1.
  it('a rename leaves the directories it changed with their source mtimes', async () => {
    const { src, dst } = await tempDirs()
    await mkdir(join(src, 'd'))
    await mkdir(join(src, 'e'))
    for (const f of ['f1', 'f2']) await writeFile(join(src, 'd', f), `file ${f}`)
    const old = new Date('2020-01-01T00:00:00Z')
    await utimes(join(src, 'd'), old, old)
    await utimes(join(src, 'e'), old, old)
    const job = start(local(src), local(dst), { batchQuietMs: 200 })
    await expect.poll(async () => Object.keys(await tree(dst)).length).toBe(2)
    const before = job.cycles().length

    await rename(join(src, 'd', 'f1'), join(src, 'd', 'g1'))
    await rename(join(src, 'd', 'f2'), join(src, 'e', 'f2'))
    await expect
      .poll(() =>
        job
          .cycles()
          .slice(before)
          .reduce((n, c) => n + c.summary.done.move, 0),
      )
      .toBe(2)
    await job.stop()
    const mtime = async (p: string) => Math.floor((await stat(p)).mtimeMs)
    for (const dir of ['d', 'e']) expect(await mtime(join(dst, dir)), dir).toBe(await mtime(join(src, dir)))
  })
})
