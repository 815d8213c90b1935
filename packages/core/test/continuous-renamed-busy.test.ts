import { once } from 'node:events'
import { appendFileSync } from 'node:fs'
import { rename, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Backend, Change, RelPath, SyncEvent } from '../src/index.js'
import {
  appendingWriter,
  CYCLE_WAIT,
  local,
  localTarget,
  removeTempDirs,
  startJob,
  stopJobs,
  stopWriters,
  tempDirs,
  tree,
} from './continuous-local-helpers.js'

// A log renamed while its writer still appends to it (`mv app.log app-1.log`, the writer holding
// its fd): the old name's removal passes at once, the new name waits until it settles or passes
// busy. Its delete ran first, and for that while (~2 s by default, as long as its copy kept failing
// after) the target held neither name: less than the source ever did. Real local directories, the
// real watcher, and a real writer (another process appending to the open file).

afterAll(removeTempDirs)
afterEach(stopJobs)

afterEach(stopWriters)

const doneAt = (events: readonly SyncEvent[], kind: string, path: string): number =>
  events.findIndex((e) => e.type === 'completed' && e.action.kind === kind && e.action.path === path)

describe('continuousSync and a file renamed while it is written', () => {
  it("keeps the old name's copy in the target until the new name's copy landed", async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'app.log'), 'start\n')
    const job = startJob(local(src), localTarget(dst))
    await expect.poll(() => tree(dst), CYCLE_WAIT).toEqual({ 'app.log': 'start\n' })
    await expect.poll(() => job.cycles().length, CYCLE_WAIT).toBe(1)

    const writer = await appendingWriter(join(src, 'app.log'), { fd: true })
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
    await once(writer, 'exit') // (its last write may land after the kill is sent)
    const final = await tree(src)
    await expect.poll(async () => tree(dst), { timeout: 15_000 }).toEqual(final)
    expect(Object.keys(final)).toEqual(['app-1.log'])

    // Never neither: the old name went only once the new one was there.
    // (The delete's event comes a moment after the file is gone.)
    await expect.poll(() => doneAt(job.events, 'delete', 'app.log'), CYCLE_WAIT).toBeGreaterThanOrEqual(0)
    const copied = doneAt(job.events, 'copy', 'app-1.log')
    expect(copied).toBeGreaterThanOrEqual(0)
    expect(doneAt(job.events, 'delete', 'app.log')).toBeGreaterThan(copied)
    const { summary } = await job.stop()
    expect(summary.deletesSuppressed).toBeUndefined()
  })

  it("keeps the old name until the new one's copy landed when the new one, found settled, was written again before its cycle", async () => {
    const { src, dst } = await tempDirs()
    await writeFile(join(src, 'app.log'), 'start\n')
    // The writer's next append lands between the new name's stability check and its cycle's look
    // at it (the cycle's stat, with options; the check's has none): a slow writer on a loaded machine.
    let appendAtCycle = false
    const real = local(src)
    const source: Backend = new Proxy(real, {
      get(t, p) {
        const v = Reflect.get(t, p, t)
        if (typeof v !== 'function') return v
        if (p === 'stat') {
          return async (...args: unknown[]) => {
            if (appendAtCycle && args[0] === 'app-1.log' && args[1] !== undefined) {
              appendAtCycle = false
              appendFileSync(join(src, 'app-1.log'), 'one more line\n')
            }
            return v.apply(t, args)
          }
        }
        return v.bind(t)
      },
    })
    const changes = new Subject<Change>()
    const job = startJob(source, localTarget(dst), { changes })
    await expect.poll(() => tree(dst), CYCLE_WAIT).toEqual({ 'app.log': 'start\n' })
    await expect.poll(() => job.cycles().length, CYCLE_WAIT).toBe(1)

    await rename(join(src, 'app.log'), join(src, 'app-1.log'))
    await utimes(join(src, 'app-1.log'), new Date(), new Date(Date.now() - 60_000)) // settled: no stability wait
    appendAtCycle = true
    changes.next({ type: 'remove', path: 'app.log' as RelPath })
    changes.next({ type: 'upsert', path: 'app-1.log' as RelPath })
    await expect.poll(async () => tree(dst), { timeout: 10_000 }).toEqual({ 'app-1.log': 'start\none more line\n' })

    await expect.poll(() => doneAt(job.events, 'delete', 'app.log'), CYCLE_WAIT).toBeGreaterThanOrEqual(0)
    const copied = doneAt(job.events, 'copy', 'app-1.log')
    expect(copied).toBeGreaterThanOrEqual(0)
    expect(doneAt(job.events, 'delete', 'app.log')).toBeGreaterThan(copied)
  })
})
