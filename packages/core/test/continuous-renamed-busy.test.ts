import { type ChildProcess, spawn } from 'node:child_process'
import { rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { SyncEvent } from '../src/index.js'
import { local, localTarget, removeTempDirs, startJob, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// A log renamed while its writer still appends to it (`mv app.log app-1.log`, the writer holding
// its fd): the old name's removal passes at once, the new name waits until it settles or passes
// busy. Its delete ran first, and for that while (~2 s by default, as long as its copy kept failing
// after) the target held neither name: less than the source ever did. Real local directories, the
// real watcher, and a real writer (another process appending to the open file).

afterAll(removeTempDirs)
afterEach(stopJobs)

const writers: ChildProcess[] = []
afterEach(() => {
  for (const w of writers.splice(0)) w.kill()
})

/** Another process appending to `file` through one open fd every 2 ms until killed (a rename does not stop it). */
async function fdWriter(file: string): Promise<ChildProcess> {
  const code = `const fs = require('node:fs'); const fd = fs.openSync(${JSON.stringify(file)}, 'a'); let n = 0; setInterval(() => fs.writeSync(fd, 'line ' + n++ + '\\n'), 2)`
  const w = spawn(process.execPath, ['-e', code], { stdio: 'ignore' })
  writers.push(w)
  const size = async () => (await stat(file).catch(() => undefined))?.size ?? 0
  const before = await size()
  // (A node process started on a loaded machine may take seconds to run.)
  await expect.poll(size, { timeout: 10_000 }).toBeGreaterThan(before)
  return w
}

const doneAt = (events: readonly SyncEvent[], kind: string, path: string): number =>
  events.findIndex((e) => e.type === 'completed' && e.action.kind === kind && e.action.path === path)

describe('continuousSync and a file renamed while it is written', () => {
  it("keeps the old name's copy in the target until the new name's copy landed", async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'app.log'), 'start\n')
    const job = startJob(local(src), localTarget(dst))
    await expect.poll(() => tree(dst)).toEqual({ 'app.log': 'start\n' })
    await expect.poll(() => job.cycles().length).toBe(1)

    const writer = await fdWriter(join(src, 'app.log'))
    await rename(join(src, 'app.log'), join(src, 'app-1.log'))
    // The new name passed busy and a copy of it was tried (failed as changed, or landed).
    await expect
      .poll(
        () =>
          job.events.some(
            (e) =>
              (e.type === 'failed' && e.path === 'app-1.log') ||
              (e.type === 'completed' && e.action.path === 'app-1.log'),
          ),
        { timeout: 15_000 },
      )
      .toBe(true)
    writer.kill()
    await expect.poll(async () => Object.keys(await tree(dst)), { timeout: 15_000 }).toEqual(['app-1.log'])
    expect((await tree(dst))['app-1.log']).toBe((await tree(src))['app-1.log'])

    // Never neither: the old name went only once the new one was there.
    const copied = doneAt(job.events, 'copy', 'app-1.log')
    const deleted = doneAt(job.events, 'delete', 'app.log')
    expect(copied).toBeGreaterThanOrEqual(0)
    expect(deleted).toBeGreaterThan(copied)
    const { summary } = await job.stop()
    expect(summary.deletesSuppressed).toBeUndefined()
  })
})
