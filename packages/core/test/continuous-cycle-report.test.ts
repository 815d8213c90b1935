import { firstValueFrom, from, type MonoTypeOperatorFunction, toArray } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { foundNothing, mergeTriggers, numberCycles, tagCycle } from '../src/continuous/cycle-report.js'
import { type DoneEvent, type StatsEvent, SummaryBuilder, type SyncEvent, type SyncSummary } from '../src/index.js'

/** An empty run's summary, as the engine builds one, with `over` on top. */
const summary = (over: Partial<SyncSummary> = {}): SyncSummary => ({
  ...new SummaryBuilder('mirror', false).build(),
  durationMs: 1,
  ...over,
})
const zero = summary().done
const done = (over: Partial<SyncSummary> = {}): DoneEvent => ({ type: 'done', ts: 1, summary: summary(over) })
const stats = (filesPlanned: number): StatsEvent => ({
  type: 'stats',
  ts: 1,
  elapsedMs: 0,
  filesPlanned,
  filesDone: 0,
  bytesPlanned: 0,
  bytesDone: 0,
  bytesPerSec: 0,
  filesPerSec: 0,
  inFlight: 0,
  queued: 0,
  failed: 0,
  listing: false,
})
const run = (events: SyncEvent[], op: MonoTypeOperatorFunction<SyncEvent>) =>
  firstValueFrom(op(from(events)).pipe(toArray()))

describe('cycle report', () => {
  it('a cycle that ran two pieces of work says the broader trigger', () => {
    expect(mergeTriggers('changes', 'retry')).toBe('changes')
    expect(mergeTriggers('retry', 'changes')).toBe('changes')
    expect(mergeTriggers('changes', 'rescan')).toBe('rescan')
    expect(mergeTriggers('initial', 'rescan')).toBe('initial')
    expect(mergeTriggers('retry', 'retry')).toBe('retry')
  })

  it('found nothing: nothing planned (unchanged files aside), failed, skipped, said or interrupted', () => {
    expect(foundNothing(summary({ unchanged: 3 }))).toBe(true)
    expect(foundNothing(summary({ planned: { ...zero, delete: 1 } }))).toBe(false)
    expect(foundNothing(summary({ failed: 1 }))).toBe(false)
    expect(foundNothing(summary({ skipped: 1 }))).toBe(false)
    expect(foundNothing(summary({ notices: 1 }))).toBe(false)
    expect(foundNothing(summary({ interrupted: true }))).toBe(false)
  })

  it('tags a cycle’s done with its trigger; a cycle over changes drops the stats that tell nothing', async () => {
    expect(await run([stats(0), stats(2), done()], tagCycle('changes'))).toEqual([
      stats(2),
      { type: 'done', ts: 1, trigger: 'changes', summary: summary() },
    ])
    expect(await run([stats(0), done()], tagCycle('rescan'))).toEqual([
      stats(0),
      { type: 'done', ts: 1, trigger: 'rescan', summary: summary() },
    ])
  })

  it('numbers the dones, leaving out (and not counting) those of cycles over changes that found nothing', async () => {
    const out = await run(
      [
        { ...done(), trigger: 'initial' },
        { ...done(), trigger: 'changes' },
        { ...done({ planned: { ...zero, copy: 1 }, done: { ...zero, copy: 1 } }), trigger: 'changes' },
        { ...done(), trigger: 'rescan' },
        { ...done(), trigger: 'retry' },
        { ...done({ interrupted: true }), trigger: 'changes' },
      ],
      numberCycles(),
    )
    expect(out.map((e) => e.type === 'done' && [e.cycle, e.trigger])).toEqual([
      [1, 'initial'],
      [2, 'changes'],
      [3, 'rescan'],
      [4, 'retry'],
      [5, 'changes'],
    ])
  })
})
