import { once } from 'node:events'
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import {
  appendingWriter,
  local,
  removeTempDirs,
  startJob,
  stopJobs,
  stopWriters,
  tempDirs,
  tree,
} from './continuous-local-helpers.js'

// A directory removed and made again (`rm -rf logs && mkdir logs`) whose log is written again at
// once: the cycle takes the directory whole on both sides, and left the log, still being written
// (unsettled), out of the source side only. The target's copy was then planned as a delete: the
// mirror lacked a file the source had until the log settled. Real local directories, the real
// watcher, and a real writer (another process appending).

afterAll(removeTempDirs)
afterEach(stopJobs)
afterEach(stopWriters)

it("keeps the target's copy of a busy file below a remade directory until the file settles and is copied", async () => {
  const { src, dst } = await tempDirs()
  await mkdir(join(src, 'logs'))
  await writeFile(join(src, 'logs', 'app.log'), 'old\n')
  await writeFile(join(src, 'logs', 'gone.txt'), 'g')
  await writeFile(join(src, 'top'), 't')
  const job = startJob(local(src), local(dst))
  await expect.poll(() => tree(dst)).toEqual({ 'logs/app.log': 'old\n', 'logs/gone.txt': 'g', top: 't' })
  await expect.poll(() => job.cycles().length).toBe(1)

  // The new directory comes with its log already being written (made aside, then renamed in), so
  // the cycle that takes it whole finds the log there, young.
  await mkdir(join(src, 'logs.new'))
  const writer = await appendingWriter(join(src, 'logs.new', 'app.log'), { fd: true })
  await rm(join(src, 'logs'), { recursive: true })
  await rename(join(src, 'logs.new'), join(src, 'logs'))
  // The remade directory's cycle ran: its old file, with no event of its own, is gone from the mirror.
  await expect.poll(async () => Object.keys(await tree(dst)), { timeout: 15_000 }).toEqual(['logs/app.log', 'top'])
  writer.kill()
  await once(writer, 'exit') // (its last write may land after the kill is sent)
  const final = await tree(src)
  await expect.poll(() => tree(dst), { timeout: 15_000 }).toEqual(final)

  const deleted = job.events.filter(
    (e) => (e.type === 'planned' || e.type === 'completed') && e.action.kind === 'delete',
  )
  expect(deleted.map((e) => (e.type === 'planned' || e.type === 'completed' ? e.action.path : ''))).not.toContain(
    'logs/app.log',
  )
  expect(deleted.length).toBeGreaterThan(0)
})
