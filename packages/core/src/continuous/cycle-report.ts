import { defer, filter, type MonoTypeOperatorFunction, map } from 'rxjs'
import type { DoneEvent, StatsEvent, SyncEvent, SyncSummary } from '../model/sync-event.js'

/** What started a cycle of a continuous job (`DoneEvent.trigger`). */
export type CycleTrigger = NonNullable<DoneEvent['trigger']>

/** How much of the trees each trigger's cycle covers: work merged into one cycle takes the broadest. */
const BREADTH: Readonly<Record<CycleTrigger, number>> = { retry: 0, changes: 1, rescan: 2, initial: 3 }

/** The trigger of a cycle that runs two pieces of work at once (see `DoneEvent.trigger`). */
export function mergeTriggers(a: CycleTrigger, b: CycleTrigger): CycleTrigger {
  return BREADTH[b] > BREADTH[a] ? b : a
}

/** A `stats` event that tells nothing: nothing planned, done, running, queued or failed, no listing. */
const statsEmpty = (e: StatsEvent): boolean =>
  !e.listing &&
  e.filesPlanned === 0 &&
  e.filesDone === 0 &&
  e.bytesPlanned === 0 &&
  e.bytesDone === 0 &&
  e.inFlight === 0 &&
  e.queued === 0 &&
  e.failed === 0

/**
 * A cycle that found nothing to do and had nothing to report: no action planned (a dry run's
 * included), nothing failed, skipped or held back, no notice, not interrupted. Files it found
 * unchanged do not count: an event for a file the target already has as it is did nothing.
 */
export function foundNothing(s: SyncSummary): boolean {
  return (
    s.failed === 0 &&
    s.skipped === 0 &&
    s.notices === 0 &&
    s.listingErrors === 0 &&
    !s.interrupted &&
    s.fatal === undefined &&
    s.deletesSuppressed === undefined &&
    Object.values(s.planned).every((n) => n === 0)
  )
}

/**
 * The `done` with these keys added right after `ts`, so that a line of `--json` reads `type`, `ts`,
 * `cycle`, `trigger`, then the long `summary`; whatever else it carries stays.
 */
const withAfterTs = (e: DoneEvent, added: Partial<DoneEvent>): DoneEvent => {
  const { type, ts, ...rest } = e
  return { type, ts, ...added, ...rest }
}

/** Whether this `done` is that of a cycle over changes that found nothing (see `numberCycles`). */
const idleChanges = (e: DoneEvent): boolean => e.trigger === 'changes' && foundNothing(e.summary)

/**
 * The events of one cycle, as the job reports them: its `done` says what started it (`trigger`).
 * A cycle over changes leaves out its `stats` that tell nothing (the one at its end, when it found
 * nothing to do): the rest of such a cycle is not reported either (`numberCycles`), and a `stats`
 * with no `done` after it would say that a cycle ran and never ended.
 */
export function tagCycle(trigger: CycleTrigger): MonoTypeOperatorFunction<SyncEvent> {
  return (events$) =>
    events$.pipe(
      filter((e) => !(trigger === 'changes' && e.type === 'stats' && statsEmpty(e))),
      map((e): SyncEvent => (e.type === 'done' ? withAfterTs(e, { trigger }) : e)),
    )
}

/**
 * Numbers the cycles' `done`s (`cycle`: 1, 2, …) in the job's stream, where the cycles come one
 * after another, each ending with its `done` (tagged by `tagCycle`).
 *
 * A cycle over changes that found nothing (`foundNothing`: a file created and deleted within the
 * debounce, an event for a file the target already had as it is) ends without a `done`, and takes
 * no number. Such a cycle is a detail of how changes are batched, not news: the `watch` log never
 * printed it, and its `done` told a script (and the webhook, the metrics' run count, the ui's list
 * of cycles) of a cycle in which nothing happened. Taking no number, it leaves no gap in the log's
 * `#n` either, which is this `cycle` (the log reads it): a script counting `done`s, or reading
 * `cycle`, sees the numbers the log prints. The other cycles that found nothing keep their `done`
 * and number, since they tell something: the initial sync's, that the job is watching; a
 * rescan's, that the trees were compared and are in step; a retry's, that what failed needs no
 * more tries. Of those, the log prints only the initial sync's: its `#n` skips the others.
 */
export function numberCycles(): MonoTypeOperatorFunction<SyncEvent> {
  return (events$) =>
    defer(() => {
      let cycles = 0
      return events$.pipe(
        filter((e) => !(e.type === 'done' && idleChanges(e))),
        map((e): SyncEvent => (e.type === 'done' ? withAfterTs(e, { cycle: ++cycles }) : e)),
      )
    })
}
