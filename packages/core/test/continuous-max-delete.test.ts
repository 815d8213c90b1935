import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, afterEach, expect, it } from 'vitest'
import type { NoticeEvent, SyncEvent } from '../src/index.js'
import { local, removeTempDirs, startJob as start, stopJobs, tempDirs, tree } from './continuous-local-helpers.js'

// QA 12 #1: `watch --max-delete 10%` applied the percentage to full rescans only; a change cycle
// dropped it, and an `rm -rf` of 95% of the source emptied the mirror with no word.

afterAll(removeTempDirs)
afterEach(stopJobs)

const maxDeleteNotes = (events: readonly SyncEvent[]) =>
  events.filter((e): e is NoticeEvent => e.type === 'notice' && e.code === 'MAX_DELETE')

it('a percentage --max-delete holds in change cycles, measured against the files the target holds', async () => {
  const { src, dst } = await tempDirs()
  await mkdir(join(src, 'photos'))
  for (let i = 1; i <= 100; i++) await writeFile(join(src, 'photos', `p${i}.jpg`), `${i}`)
  for (let i = 1; i <= 5; i++) await writeFile(join(src, `doc${i}`), `${i}`)
  // The target starts empty: its count is what the initial sync's listing held (none) and copied (105).
  const job = start(local(src), local(dst), { maxDelete: { percent: 10 } })
  await expect.poll(async () => Object.keys(await tree(dst)).length, { timeout: 10_000 }).toBe(105)

  // 10 of 105 files (9.5%): within the limit, deleted in the cycle.
  for (let i = 1; i <= 10; i++) await rm(join(src, 'photos', `p${i}.jpg`))
  await expect.poll(async () => Object.keys(await tree(dst)).length, { timeout: 10_000 }).toBe(95)
  expect(maxDeleteNotes(job.events)).toEqual([])

  // An `rm -rf` of 90 of the 95 files left: refused, the mirror keeps them.
  await rm(join(src, 'photos'), { recursive: true })
  await expect.poll(() => maxDeleteNotes(job.events).length, { timeout: 10_000 }).toBeGreaterThan(0)
  expect(maxDeleteNotes(job.events)[0]?.message).toMatch(
    // (90 files: the directory that goes with them is not counted, QA 16 F5)
    /^90 deletes \(94\.7% of the target's 95 files\) exceed --max-delete 10%: none run/,
  )
  expect(Object.keys(await tree(dst))).toHaveLength(95)

  // A later change goes on as usual; the held deletes are not said again by a rescan asked for the
  // directory they left behind (QA 12 #8: it repeated the note at once).
  await writeFile(join(src, 'later'), 'l')
  await expect.poll(async () => (await tree(dst)).later, { timeout: 10_000 }).toBe('l')
  expect(maxDeleteNotes(job.events)).toHaveLength(1)
  expect(job.cycles().map((c) => c.trigger)).not.toContain('rescan')
  expect(Object.keys(await tree(dst))).toHaveLength(96)
  // Held for good (no retry runs them): a later clean cycle does not take the job's note away, as
  // it does for deletes a failure held back and its retry ran (review 35 #3).
  const { summary } = await job.stop()
  expect(summary.deletesSuppressed).toMatch(/exceed --max-delete 10%/)
})
