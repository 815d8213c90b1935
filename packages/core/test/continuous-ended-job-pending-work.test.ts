import { Subject } from 'rxjs'
import { afterEach, expect, it } from 'vitest'
import { type Backend, type Change, createMemBackend, type RelPath, SyncError } from '../src/index.js'
import { writeText } from '../src/testkit/index.js'
import { gatedWrites, startJob, stopJobs } from './continuous-local-helpers.js'

afterEach(stopJobs)

const T0 = 1_700_000_000_000
const up = (path: string): Change => ({ type: 'upsert', path: path as RelPath })

/**
 * `b` whose writes are refused for credentials once `state.refuse` is set (a key made read-only),
 * each refusal held until `release()`: the cycle stays busy meanwhile.
 */
function refusingWhenReleased(b: Backend) {
  const state = { refuse: false, writes: [] as string[] }
  let release = (): void => {}
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const backend = gatedWrites(b, async (path) => {
    if (!state.refuse) return
    state.writes.push(path)
    await released
    throw new SyncError('AUTH', 'AccessDenied', { path })
  })
  return { backend, state, release }
}

// CI flake of continuous-auth-stop (1 run in 6 under load): a cycle stopped for AUTH ends the job,
// yet work that arrived while that cycle ran (a batch of changes, the retry of its refused paths)
// still ran after it, as one more cycle: its writes refused again and a second stop said. The race
// is made here at its exact moment: the next batch is queued while the stopping cycle's writes wait.

/**
 * A job whose second cycle (a, b, c) waits in its refused writes while the batch d, e, f is queued
 * behind it; `end` is called then, and the writes are let go.
 */
async function queuedBehindRefusals(end: (job: ReturnType<typeof startJob>) => void) {
  const src = createMemBackend()
  const target = refusingWhenReleased(createMemBackend())
  const changes = new Subject<Change>()
  const statted = new Set<string>()
  const stat = src.stat.bind(src)
  src.stat = async (path) => {
    const entry = await stat(path)
    statted.add(path)
    return entry
  }
  // Three changes to a batch (each batch closes as it fills: no timer decides what is queued).
  const job = startJob(src, target.backend, { changes, maxBatch: 3, rescanMs: 0 })
  await expect.poll(() => job.cycles().length, { timeout: 10_000 }).toBe(1)
  target.state.refuse = true
  for (const n of ['a', 'b', 'c']) {
    await writeText(src, n, n, T0)
    changes.next(up(n))
  }
  // The cycle of a, b, c is under way: its writes wait to be refused.
  await expect.poll(() => target.state.writes.length, { timeout: 10_000 }).toBe(3)
  for (const n of ['d', 'e', 'f']) {
    await writeText(src, n, n, T0)
    changes.next(up(n))
  }
  // Stated, the batch of d, e, f is formed at once and waits for the running cycle.
  await expect.poll(() => ['d', 'e', 'f'].every((n) => statted.has(n)), { timeout: 10_000 }).toBe(true)
  end(job)
  target.release()
  await expect.poll(() => job.ended(), { timeout: 10_000 }).toBe(true)
  return { job, writes: target.state.writes.sort() }
}

it('a batch of changes queued behind the cycle that ends the job (AUTH) is not run', async () => {
  const { job, writes } = await queuedBehindRefusals(() => {})
  expect(writes).toEqual(['a', 'b', 'c'])
  const stops = job.failures().filter((f) => f.path === '' && f.stage === 'transfer')
  expect(stops).toHaveLength(1)
  expect(job.events.at(-1)).toMatchObject({ type: 'done', summary: { fatal: { code: 'AUTH' }, failed: 3 } })
})

it('a batch of changes queued behind the running cycle at a Ctrl-C is not run as one more cycle', async () => {
  const { job, writes } = await queuedBehindRefusals((j) => j.abort.abort())
  expect(writes).toEqual(['a', 'b', 'c'])
  expect(job.cycles().map((c) => [c.cycle, c.trigger])).toEqual([
    [1, 'initial'],
    [2, 'changes'],
  ])
  expect(job.events.at(-1)).toMatchObject({ type: 'done', summary: { mode: 'watch', interrupted: true } })
})
