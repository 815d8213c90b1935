import { lastValueFrom, toArray } from 'rxjs'
import { expect, it } from 'vitest'
import { createMemBackend, type DoneEvent, type RelPath, SyncError, sync } from '../src/index.js'
import { writeText } from '../src/testkit/index.js'

// fx27 gap 1, in core: a target whose every call fails because it cannot be reached (a server
// killed mid-run: `SyncError.unreachable`) had each remaining file tried 4 times, one by one
// (45 s for 378 files into a killed `syncflow serve`); rclone and rsync stop at once.

const FILES = 300

async function sourceOf(n: number) {
  const source = createMemBackend()
  for (let i = 0; i < n; i++) await writeText(source, `f${String(i).padStart(3, '0')}` as RelPath, `file ${i}`)
  return source
}

const down = () =>
  new SyncError('TRANSIENT', 'cannot connect to h:1 (connection refused)', { op: 'x.write', unreachable: 'h:1' })

it('a target that cannot be reached after the first files stops the run after a few transfers, naming it; nothing deleted', async () => {
  const source = await sourceOf(FILES)
  const target = createMemBackend()
  await writeText(target, 'extra' as RelPath, 'only on the target')
  let writes = 0
  const fault = () => (++writes > 10 ? down() : undefined)
  // (A mem target copies from a mem source directly: copyFrom, not write.)
  target.faults = { copyFrom: fault, write: fault, remove: () => down() }
  const events = await lastValueFrom(sync(source, target, { mode: 'mirror', retryDelayMs: 1 }).pipe(toArray()))
  const { summary } = events.at(-1) as DoneEvent
  expect(summary.done.copy).toBe(10)
  expect(summary.fatal).toMatchObject({
    code: 'TRANSIENT',
    message: expect.stringMatching(/^stopped: h:1 cannot be reached: \d+ transfers in a row failed so/),
  })
  // Those in flight failed; the rest were not tried.
  expect(summary.failed).toBeGreaterThanOrEqual(3)
  expect(summary.failed).toBeLessThanOrEqual(16)
  expect(await target.stat('extra' as RelPath)).toBeDefined()
  // One run stop, said once, and no failure of an item left untried.
  const stops = events.filter((e) => e.type === 'failed' && e.path === '')
  expect(stops).toHaveLength(1)
  expect(stops[0]).toMatchObject({ stage: 'transfer' })
})

it('failures of an unreachable target between transfers that succeed do not stop the run', async () => {
  const source = await sourceOf(60)
  const target = createMemBackend()
  // Every other file fails so (never 3 in a row with nothing done between, one at a time).
  let writes = 0
  const fault = () => (++writes % 2 === 0 ? down() : undefined)
  target.faults = { copyFrom: fault, write: fault }
  const events = await lastValueFrom(
    sync(source, target, { mode: 'mirror', retries: 0, concurrency: 1 }).pipe(toArray()),
  )
  const { summary } = events.at(-1) as DoneEvent
  expect(summary.fatal).toBeUndefined()
  expect(summary.done.copy + summary.failed).toBe(60)
  expect(summary.failed).toBe(30)
})

// fx27c #3: an address that answers as another location (a grpc:// server restarted with another
// --root: NOT_FOUND marked `unreachable`) stops the run at its first such failure, even with
// transfers done between: no later one may go on writing there.
it('a target that answers as another location stops the run at the first such failure, whatever succeeds after it', async () => {
  const source = await sourceOf(60)
  const target = createMemBackend()
  await writeText(target, 'extra' as RelPath, 'only on the target')
  let writes = 0
  const other = () =>
    new SyncError('NOT_FOUND', 'the server at h:1 now serves another directory', {
      op: 'x.write',
      hint: 'Run again.',
      unreachable: 'h:1',
    })
  // Only the 11th call is refused so: the others after it succeed (one at a time).
  const fault = () => (++writes === 11 ? other() : undefined)
  target.faults = { copyFrom: fault, write: fault, remove: () => other() }
  const events = await lastValueFrom(sync(source, target, { mode: 'mirror', concurrency: 1 }).pipe(toArray()))
  const { summary } = events.at(-1) as DoneEvent
  expect(summary.fatal).toMatchObject({
    code: 'TRANSIENT',
    message: 'stopped: the server at h:1 now serves another directory; the rest were not tried',
    hint: 'Run again.',
  })
  expect(summary.done.copy).toBe(10)
  expect(summary.failed).toBe(1)
  expect(await target.stat('extra' as RelPath)).toBeDefined()
})

it('a target that answers as another location while the deletes run stops them at the first such failure: the rest are not tried', async () => {
  const source = await sourceOf(1)
  const target = createMemBackend()
  for (let i = 0; i < 60; i++) await writeText(target, `old${String(i).padStart(2, '0')}` as RelPath, 'x')
  let removes = 0
  target.faults = {
    remove: () =>
      ++removes === 6
        ? new SyncError('NOT_FOUND', 'the server at h:1 now serves another directory', { unreachable: 'h:1' })
        : undefined,
  }
  const events = await lastValueFrom(
    sync(source, target, { mode: 'mirror', concurrency: 1, maxDelete: { count: 100 } }).pipe(toArray()),
  )
  const { summary } = events.at(-1) as DoneEvent
  expect(summary.fatal).toMatchObject({
    code: 'TRANSIENT',
    message: 'stopped: the server at h:1 now serves another directory; the rest were not tried',
  })
  expect(summary.done.delete).toBe(5)
  expect(summary.failed).toBe(1)
  let left = 0
  for await (const e of target.list()) if (e.path.startsWith('old')) left++
  expect(left).toBe(55)
})
