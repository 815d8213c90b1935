import { readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { catchError, merge, mergeMap, ReplaySubject, Subject, throwError } from 'rxjs'
import { afterAll, afterEach, expect, it } from 'vitest'
import type { Backend, Change, RelPath, Watchable } from '../src/index.js'
import { CYCLE_WAIT, local, removeTempDirs, startJob as start, stopJobs, tempDirs } from './continuous-local-helpers.js'

// QA 35 #3: `rm -rf` of the watched source root was said twice and counted twice: by the cycle its
// files' removal started ("source … does not exist", hint "Check the path") and by the watcher's
// poll ("the source … is gone", hint "Nothing is deleted meanwhile; syncing resumes once it is
// back"). One outage: one failure, in the watcher's words, whichever found it first.

afterAll(removeTempDirs)
afterEach(stopJobs)

/**
 * The real `b`, counting how many times `rootExists` answered that the root is not there, whose
 * watcher's failure waits for `release` (so that a cycle finds the root missing first, as the
 * removal events of `rm -rf` start one before the watcher fails), and which `hint` adds a change to.
 */
function watched(b: Backend) {
  const count = { gone: 0 }
  const release$ = new ReplaySubject<void>(1)
  const hint$ = new Subject<Change>()
  const backend = new Proxy(b, {
    get(t, p) {
      const v = Reflect.get(t, p, t)
      if (p === 'rootExists') {
        return async () => {
          const exists = await t.rootExists()
          if (!exists) count.gone++
          return exists
        }
      }
      if (p === 'watch') {
        return (opts: Parameters<Watchable['watch']>[0]) =>
          merge(
            (t as Backend & Watchable)
              .watch(opts)
              .pipe(catchError((err: unknown) => release$.pipe(mergeMap(() => throwError(() => err))))),
            hint$,
          )
      }
      return typeof v === 'function' ? v.bind(t) : v
    },
  })
  return {
    backend,
    count,
    release: () => release$.next(),
    hint: (path: string) => hint$.next({ type: 'remove', path: path as RelPath }),
  }
}

const GONE_HINT = 'Nothing is deleted meanwhile; syncing resumes once it is back'

it("a source root removed, found missing by a cycle and then by the watcher: one failure, counted once, with the watcher's hint", async () => {
  const { src, dst } = await tempDirs()
  for (let i = 0; i < 20; i++) await writeFile(join(src, `f${i}.txt`), `${i}`)
  const source = watched(local(src))
  const job = start(source.backend, local(dst))
  await expect.poll(() => job.cycles().length, CYCLE_WAIT).toBe(1)

  await rm(src, { recursive: true })
  source.hint('f0.txt')
  // The cycle the removal started found the root missing (its `done` stopped by it)…
  await expect
    .poll(() => job.cycles().some((c) => c.summary.fatal?.code === 'NOT_FOUND'), { timeout: 10_000 })
    .toBe(true)
  // …then the watcher fails, and its poll finds the root gone (twice: the first one's report is made by then).
  const before = source.count.gone
  source.release()
  await expect.poll(() => source.count.gone, { timeout: 10_000 }).toBeGreaterThanOrEqual(before + 2)

  const gone = job.failures().filter((f) => f.error.code === 'NOT_FOUND')
  expect(gone).toHaveLength(1)
  expect(gone[0]).toMatchObject({ path: '', stage: 'list', side: 'source' })
  expect(gone[0]?.error.message).toMatch(/the source .* is gone$/)
  expect(gone[0]?.error.hint).toContain(GONE_HINT)
  expect(job.cycles().reduce((n, c) => n + c.summary.failed, 0)).toBe(1)
  const { summary } = await job.stop()
  expect(summary).toMatchObject({ failed: 1, listingErrors: 1, errorCodes: { NOT_FOUND: 1 } })
})

it('a source root found gone by the watcher first: a cycle of the same outage says it no more', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  const source = watched(local(src))
  source.release()
  // Rescans every 300 ms: cycles that run while the root is gone (its watcher, now polling, takes no hints).
  const job = start(source.backend, local(dst), { rescanMs: 300 })
  await expect.poll(() => job.cycles().length, CYCLE_WAIT).toBeGreaterThanOrEqual(1)

  await rm(src, { recursive: true })
  await expect.poll(() => job.failures(), { timeout: 10_000 }).toHaveLength(1)
  expect(job.failures()[0]?.error.hint).toContain(GONE_HINT)
  // Cycles of the same outage find the root missing, and say nothing more.
  await expect
    .poll(() => job.cycles().filter((c) => c.summary.fatal?.code === 'NOT_FOUND').length, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(2)
  expect(job.failures()).toHaveLength(1)
  const { summary } = await job.stop()
  expect(summary).toMatchObject({ failed: 1, errorCodes: { NOT_FOUND: 1 } })
})

it('a source whose watcher says nothing: the cycle says the root is gone, with that hint', async () => {
  const { src, dst } = await tempDirs()
  await writeFile(join(src, 'a.txt'), 'alpha')
  // Hints given here: no watcher of the source, whose poll would say it.
  const changes = new Subject<Change>()
  const job = start(local(src), local(dst), { changes })
  await expect.poll(() => job.cycles().length, CYCLE_WAIT).toBe(1)

  await rm(src, { recursive: true })
  changes.next({ type: 'remove', path: 'a.txt' as RelPath })
  await expect.poll(() => job.failures(), { timeout: 10_000 }).toHaveLength(1)
  expect(job.failures()[0]).toMatchObject({ path: '', stage: 'list', side: 'source', error: { code: 'NOT_FOUND' } })
  expect(job.failures()[0]?.error.hint).toContain(GONE_HINT)
  // Said again by the next cycle of this outage? No: once.
  changes.next({ type: 'remove', path: 'b.txt' as RelPath })
  await expect
    .poll(() => job.cycles().filter((c) => c.summary.fatal !== undefined), { timeout: 10_000 })
    .toHaveLength(2)
  expect(job.failures()).toHaveLength(1)
  const { summary } = await job.stop()
  expect(summary).toMatchObject({ failed: 1, errorCodes: { NOT_FOUND: 1 } })
  expect(await readdir(dst)).toEqual(['a.txt'])
})
