import { appendFile, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { createLocalBackend } from '@syncflow/backend-local'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { localTarget, removeTempDirs, startJob, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// The continuous job on a real local source read with `--symlinks follow`, whose link points to a
// file outside the source: a cycle over the changed paths holds to the rules of a one-shot sync.

afterAll(removeTempDirs)
afterEach(stopJobs)

/** A source `src` holding `lo -> ../outside/t.txt` and `x`, read following its links. */
async function linkedSource(): Promise<{ src: string; dst: string; outside: string }> {
  const { src, dst } = await tempDirs()
  const outside = join(dirname(src), 'outside')
  await mkdir(outside)
  await writeFile(join(outside, 't.txt'), 'v1')
  await symlink('../outside/t.txt', join(src, 'lo'))
  await writeFile(join(src, 'x'), 'x')
  return { src, dst, outside }
}

const following = (root: string) => createLocalBackend({ root, symlinks: 'follow', groupCommit: false })

describe('continuousSync, following symlinks', () => {
  // QA 11 #1: the watch deleted the target's copy of `lo`, where a one-shot sync reports the link.
  it('reports a link whose file was removed as a dangling symlink, and deletes nothing', async () => {
    const { src, dst, outside } = await linkedSource()
    const job = startJob(following(src), localTarget(dst))
    await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ lo: 'v1', x: 'x' })
    // The initial sync's `done`, which comes a moment after its copies: counted before it, the
    // cycles below took it for the one that met the dangling link.
    await expect.poll(() => job.cycles().length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1)
    const initial = job.cycles().length

    await rm(join(outside, 't.txt'))
    await expect
      .poll(() => job.failures().map((f) => `${f.path} ${f.error.message}`), { timeout: 10_000 })
      .toEqual(['lo NOT_FOUND: local.stat (lo): dangling symlink (its target does not exist); skipped'])
    // The cycle that met it is over: it deleted nothing, and said why.
    await expect.poll(() => job.cycles().length, { timeout: 10_000 }).toBeGreaterThan(initial)
    const cycle = job.cycles().at(-1)
    expect(cycle?.summary).toMatchObject({ failed: 1, done: { delete: 0 } })
    expect(job.events.some((e) => e.type === 'completed' && e.action.kind === 'delete')).toBe(false)
    expect(await tree(dst)).toEqual({ lo: 'v1', x: 'x' })
  })

  // QA 11 #1, second half: the file back (made again, or a log rotated), the link's copy stayed old.
  it.skipIf(process.platform !== 'linux')(
    "follows a link's file that comes back: made again after a delete, or after a rotation",
    async () => {
      const { src, dst, outside } = await linkedSource()
      const job = startJob(following(src), localTarget(dst))
      await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ lo: 'v1', x: 'x' })
      const file = join(outside, 't.txt')

      await rm(file)
      await expect.poll(() => job.failures().length, { timeout: 10_000 }).toBe(1)
      await writeFile(file, 'v2')
      await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ lo: 'v2', x: 'x' })
      // The new file is watched: a write to it is seen.
      await appendFile(file, '+')
      await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ lo: 'v2+', x: 'x' })

      // Rotated: renamed away, then a new file under the name.
      await rename(file, join(outside, 't.txt.1'))
      await writeFile(file, 'v3')
      await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ lo: 'v3', x: 'x' })
      await appendFile(file, '+')
      await expect.poll(() => tree(dst), { timeout: 10_000 }).toEqual({ lo: 'v3+', x: 'x' })
      expect(job.events.some((e) => e.type === 'completed' && e.action.kind === 'delete')).toBe(false)
    },
  )
})
