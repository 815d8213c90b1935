import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Subject } from 'rxjs'
import { afterAll, afterEach, expect, it } from 'vitest'
import type { Change, DoneEvent, RelPath } from '../src/index.js'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// Ctrl-C while a cycle lists a new directory, on real local directories.

afterAll(removeTempDirs)
afterEach(stopJobs)

// QA 25c #5: the listing stopped by the interrupt threw ABORTED out of the cycle, which ended the
// whole job with that error: the CLI printed "syncflow: ABORTED: local.list: listing interrupted"
// and a last done whose totals were all zero (what the earlier cycles did was lost).
it('an interrupt while a cycle lists a new directory ends the job with its totals, not an error', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  const source = local(src)
  let interrupt: (() => void) | undefined
  // The real source, whose listing of the new directory meets the interrupt (Ctrl-C) as it starts.
  const interrupted = new Proxy(source, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (prop === 'list' && interrupt) interrupt()
        return value.apply(t, args)
      }
    },
  })
  const changes = new Subject<Change>()
  const job = start(interrupted, local(dst), { changes, batchQuietMs: 50 })
  await expect.poll(() => tree(dst)).toEqual({ 'a.txt': 'alpha' })

  interrupt = () => job.abort.abort()
  await mkdir(join(src, 'new'))
  await writeFile(join(src, 'new', 'b.txt'), 'beta')
  changes.next({ type: 'upsert', path: 'new' as RelPath })
  await expect.poll(job.ended, { timeout: 10_000 }).toBe(true)
  const last = job.events.at(-1) as DoneEvent
  expect(last.summary).toMatchObject({ mode: 'watch', interrupted: true, done: { copy: 1 } })
  expect(last.summary.fatal).toBeUndefined()
})
