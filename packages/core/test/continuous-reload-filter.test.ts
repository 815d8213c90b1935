import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import { createPathFilter, type FailedEvent, type PathFilter, SyncError, toRelPath } from '../src/index.js'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// QA 10 #5: the rules of `.syncflowignore` read again when it changes, on real local directories.

afterAll(removeTempDirs)
afterEach(stopJobs)

it('rules that cannot be read again leave those in use: the failure is said on the file, excluded paths stay out', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, '.syncflowignore'), '*.log\n')
  await writeFile(join(src, 'a.txt'), 'a')
  let reloads = 0
  const reloadFilter = async (): Promise<PathFilter | undefined> => {
    reloads++
    throw new SyncError('USAGE', '.syncflowignore is larger than 1 MiB', { op: 'read', path: '.syncflowignore' })
  }
  const job = start(local(src), local(dst), { filter: createPathFilter({ ignoreRules: '*.log\n' }), reloadFilter })
  await expect.poll(async () => tree(dst)).toEqual({ '.syncflowignore': '*.log\n', 'a.txt': 'a' })

  await writeFile(join(src, '.syncflowignore'), 'x'.repeat(100))
  await expect
    .poll(() => job.failures().map((f: FailedEvent) => [f.path, f.error.code]), { timeout: 10_000 })
    .toContainEqual(['.syncflowignore', 'USAGE'])
  expect(reloads).toBeGreaterThanOrEqual(1)
  await writeFile(join(src, 'b.log'), 'log')
  await writeFile(join(src, 'c.txt'), 'c')
  await expect.poll(async () => Object.keys(await tree(dst)).sort()).toEqual(['.syncflowignore', 'a.txt', 'c.txt'])
  expect(job.failures()[0]?.error.hint).toContain('Until then the rules read before stay in use')
})

// QA 30d: with the rules file watched (`reloadFilter`, as `syncflow watch` always gives it), the
// filter the cycles used dropped the --files-from list's `filesFrom`, so the initial sync never
// said which listed paths the source lacks (a typo in the list went unnoticed), where `sync` does.
it('the initial sync says the --files-from paths the source lacks, with the rules file watched', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'a')
  const filesFrom = [toRelPath('a.txt'), toRelPath('typo.txt')]
  const reloadFilter = async (): Promise<PathFilter | undefined> => createPathFilter({ filesFrom })
  const job = start(local(src), local(dst), { filter: createPathFilter({ filesFrom }), reloadFilter })
  await expect.poll(() => job.cycles().length).toBeGreaterThanOrEqual(1)
  const notices = job.events.filter((e) => e.type === 'notice' && e.code === 'FILES_FROM_MISSING')
  expect(notices.map((e) => (e.type === 'notice' ? e.message : ''))).toEqual([expect.stringContaining('typo.txt')])
  expect(await tree(dst)).toEqual({ 'a.txt': 'a' })
})
