import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// QA 12 #3: a watched directory removed or renamed away and made again at once kept its old
// contents in the mirror until the next rescan: the cycle saw a directory on both sides and
// compared it as one entry, and the old files had no event of their own.

afterAll(removeTempDirs)
afterEach(stopJobs)

async function seeded(): Promise<{ src: string; dst: string }> {
  const { src, dst } = await tempDirs()
  await mkdir(join(src, 'logs', 'sub'), { recursive: true })
  for (const f of ['f1', 'f2', 'f3']) await writeFile(join(src, 'logs', 'sub', f), f)
  await writeFile(join(src, 'top'), 't')
  return { src, dst }
}

it('a directory renamed away and made again is mirrored as it is now, in the cycle (no rescan)', async () => {
  const { src, dst } = await seeded()
  const job = start(local(src), local(dst))
  await expect.poll(async () => Object.keys(await tree(dst)).length, { timeout: 10_000 }).toBe(4)

  await rename(join(src, 'logs'), join(src, 'logs.old'))
  await mkdir(join(src, 'logs'))
  await writeFile(join(src, 'logs', 'n'), 'n')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual(await tree(src))
  expect(await tree(dst)).toEqual({
    top: 't',
    'logs/n': 'n',
    'logs.old/sub/f1': 'f1',
    'logs.old/sub/f2': 'f2',
    'logs.old/sub/f3': 'f3',
  })
  expect(job.cycles().map((c) => c.trigger)).not.toContain('rescan')
})

it('a directory removed and made again one level down (`rm -rf out && mkdir out`) loses its old files in the mirror', async () => {
  const { src, dst } = await seeded()
  const job = start(local(src), local(dst))
  await expect.poll(async () => Object.keys(await tree(dst)).length, { timeout: 10_000 }).toBe(4)

  await rm(join(src, 'logs', 'sub'), { recursive: true })
  await mkdir(join(src, 'logs', 'sub'))
  await writeFile(join(src, 'logs', 'sub', 'z'), 'z')
  await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ top: 't', 'logs/sub/z': 'z' })
  expect(job.cycles().map((c) => c.trigger)).not.toContain('rescan')
})
