import { mkdir, rename, writeFile } from 'node:fs/promises'
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
})
