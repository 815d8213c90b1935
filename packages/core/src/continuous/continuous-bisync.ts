import {
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  forkJoin,
  fromEvent,
  ignoreElements,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  ReplaySubject,
  type SchedulerLike,
  Subject,
  type Subscription,
  switchMap,
  take,
  takeUntil,
  tap,
  timer,
} from 'rxjs'
import { type Backend, supports } from '../backend/backend.js'
import { type BisyncOptions, bisync } from '../bisync/bisync.js'
import type { BisyncSide } from '../bisync/conflict-name.js'
import { SummaryBuilder } from '../engine/summary-builder.js'
import { asSyncError, SyncError, type SyncErrorCode } from '../errors/sync-error.js'
import { IGNORE_FILE_NAME } from '../filter/load-ignore-file.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Change } from '../model/change.js'
import type { RelPath } from '../model/rel-path.js'
import type { DoneEvent, SyncEvent, SyncSummary } from '../model/sync-event.js'
import { awaitStable } from './await-stable.js'
import { batchChanges } from './batch-changes.js'
import { coalesceChanges } from './coalesce-changes.js'
import { CONTINUOUS_MODE } from './continuous-sync.js'
import { type CycleTrigger, mergeTriggers, numberCycles, tagCycle } from './cycle-report.js'
import { jobEnd } from './job-end.js'
import { PassEchoes, type SideChange } from './pass-echoes.js'
import { pollIntervalMs } from './poll-interval-ms.js'
import { reloadRules } from './reload-rules.js'
import { endsContinuousJob, retriesLater, retryLaterDelayMs } from './retry-later.js'
import { runExclusive } from './run-exclusive.js'
import { isSourceGone } from './source-gone.js'
import { watchChanges } from './watch-changes.js'

/** Options of `continuousBisync`: those of `bisync`, and the timing of the job. Defaults in brackets. */
export interface ContinuousBisyncOptions extends BisyncOptions {
  /** A pass starts once neither side changed for this long (`--debounce`)… [100 ms] */
  readonly debounceMs?: number
  /** …or this long after the first change, however busy the sides are. [2000 ms] */
  readonly batchMaxWaitMs?: number
  /**
   * A pass after a removal waits until no removal came for this long: a side being emptied (`rm -rf`
   * of its root, a disk's files going) is seen once it is over, when the guards of deletes see it
   * whole (or the root is gone and nothing is deleted), not halfway, where the files removed so far
   * were below --max-delete and their deletes ran on the other side. [1000 ms]
   */
  readonly removeHoldMs?: number
  /** A pass this often whatever the events say, to catch what they missed (`--rescan`); 0 = never. [1 h] */
  readonly rescanMs?: number
  /** A pass each time this emits (see `ContinuousOptions.rescanRequests`). [none] */
  readonly rescanRequests?: Observable<unknown>
  /**
   * A side without change events (S3) is looked at by a pass this often (`--poll-interval`). [grows
   * with the last pass: `pollIntervalMs` of its listing, 2 s for a small tree]
   */
  readonly pollMs?: number
  /** A pass that failed for a reason that may pass is run again after this, doubling up to `retryLaterMaxMs`. [1000 ms] */
  readonly retryLaterMs?: number
  /** [60000 ms] */
  readonly retryLaterMaxMs?: number
  /**
   * Change hints to use instead of watching the sides (tests; custom watchers). When this stream
   * completes, the job ends after the passes it asked for.
   */
  readonly changes?: Observable<Change>
  /**
   * Reads A's rules file (`.syncflowignore`) again: the filter rebuilt with its new rules, or
   * `undefined` when they are as they were. Asked before each pass, so that rules changed while
   * watching apply from the next pass, as in a one-way watch (they applied only after a restart, and
   * a file newly excluded was carried across meanwhile). A rejection keeps the rules in use (they
   * may keep secrets out) and is reported as the file's failure. [the rules read at the start]
   */
  readonly reloadFilter?: () => Promise<PathFilter | undefined>
  readonly scheduler?: SchedulerLike
}

const SIDES: readonly BisyncSide[] = ['a', 'b']
/** A batch of settled changes closes once none came for this long. */
const BATCH_QUIET_MS = 20
/** A's rules file, read again before each pass (`reloadFilter`). */
const IGNORE_FILE = IGNORE_FILE_NAME as RelPath
const SIDE_NAME: Readonly<Record<BisyncSide, 'source' | 'target'>> = { a: 'source', b: 'target' }

/** A cycle's failures worth another pass later: all of them may pass (see `retriesLater`). */
const worthRetry = (s: SyncSummary): boolean =>
  (s.fatal !== undefined && !endsContinuousJob(s.fatal.code)) ||
  Object.keys(s.errorCodes).some((code) => retriesLater(code as SyncErrorCode))

/**
 * A watcher's word that its root is gone, in a two-way job's words: the watcher calls every side it
 * watches "the source", which B's line ("(target list): … the source B is gone") contradicted.
 */
function sideGone(side: BisyncSide, uri: string, error: SyncError): SyncError {
  if (!isSourceGone(error.toJSON(), uri)) return error
  return new SyncError('NOT_FOUND', `${side.toUpperCase()} ${uri} is gone`, {
    op: 'watch',
    ...(error.hint !== undefined ? { hint: error.hint } : {}),
  })
}

/** Sets `total`'s planned counts to those of `pass` (a dry run's last pass: see `continuousBisync`). */
function plannedOf(total: SummaryBuilder, pass: SyncSummary): void {
  Object.assign(total.planned, pass.planned)
  total.modesSet.planned = pass.modesSet?.planned ?? 0
  total.fileModesSet.planned = pass.fileModesSet?.planned ?? 0
  total.fileModesAndMtimesSet.planned = pass.fileModesAndMtimesSet?.planned ?? 0
  Object.assign(total.dirActions.planned, pass.dirActions?.planned ?? { touch: 0, delete: 0 })
}

/**
 * Continuous two-way sync (`syncflow watch A B --bisync`): a `bisync` pass at the start, then one
 * each time either side changes, until `options.signal` aborts.
 *
 * Each pass is a whole `bisync` run: both sides listed, decided from the job's records, carried
 * both ways. The events of the sides (their watchers, `watchChanges`) only say when to run the
 * next pass, never what it does: two-way sync decides a path from both sides and its record, which
 * a pass reads in one merge-join, so a pass per burst of changes (`debounceMs`, at most
 * `batchMaxWaitMs` after the first) costs a listing of both trees and is always right, where a
 * pass over the changed paths alone would need the one-way job's every special case twice. (Unison's
 * `-repeat` and rclone bisync work from full scans too.) A side without
 * change events (S3) is looked at by a pass every `pollMs`, not polled apart and listed again by
 * the pass; a lost event stream, and every `rescanMs`, also start a pass. A pass's own writes come
 * back as events of the side written: those start no pass (`PassEchoes`).
 *
 * A pass that failed for a reason that may pass (a busy file, the network) runs again later, with
 * backoff; one that no retry can fix (credentials, the job's lock) ends the job, as does any fatal
 * problem of the first pass (a side missing). Every pass is a cycle: its events, then its `done`
 * (mode `bisync`, with `cycle` and `trigger`); the job ends with a `done` of mode `watch`, totals
 * over all cycles, as `continuousSync` does.
 */
export function continuousBisync(a: Backend, b: Backend, options: ContinuousBisyncOptions): Observable<SyncEvent> {
  return defer(() => {
    const scheduler = options.scheduler ?? asyncScheduler
    const backends: Record<BisyncSide, Backend> = { a, b }
    const total = new SummaryBuilder(CONTINUOUS_MODE, options.dryRun ?? false)
    const side$ = new Subject<SyncEvent>()
    const request$ = new Subject<CycleTrigger>()
    const fatal$ = new Subject<void>()
    const hintsEnded$ = new Subject<void>()
    const timing = { baseMs: options.retryLaterMs ?? 1000, maxMs: options.retryLaterMaxMs ?? 60_000 }
    const aborted = (): boolean => options.signal?.aborted ?? false
    const abort$ = options.signal ? (aborted() ? of(0) : fromEvent(options.signal, 'abort')) : EMPTY
    const {
      debounceMs = 100,
      batchMaxWaitMs,
      removeHoldMs = 1000,
      rescanMs = 3_600_000,
      pollMs,
      retryLaterMs: _r,
      retryLaterMaxMs: _rm,
      changes,
      reloadFilter,
      scheduler: _s,
      rescanRequests: _rr,
      ...passOptions
    } = options
    let filterInUse = options.filter
    /** Before a pass: the rules read again (see `reloadRules`). */
    const rereadRules = (): Observable<SyncEvent> =>
      reloadRules(
        reloadFilter,
        IGNORE_FILE,
        (f) => {
          filterInUse = f
        },
        'from this pass on',
      )
    const endJob = (error: SyncError): void => {
      total.fatal = error.toJSON()
      fatal$.next()
    }
    const failed = (s: BisyncSide, error: SyncError): void =>
      side$.next({
        type: 'failed',
        ts: Date.now(),
        path: error.path ?? '',
        error: sideGone(s, backends[s].uri, error).toJSON(),
        stage: 'list',
        side: SIDE_NAME[s],
      })

    // The sides with change events are watched; the others are looked at by the passes themselves.
    const watched = changes ? [] : SIDES.filter((s) => supports.watch(backends[s]))
    const polled = changes ? [] : SIDES.filter((s) => !watched.includes(s))
    const ready: Record<BisyncSide, ReplaySubject<void>> = { a: new ReplaySubject(1), b: new ReplaySubject(1) }
    const hints$: Observable<SideChange> = changes
      ? changes.pipe(map((change) => ({ change })))
      : merge(
          ...watched.map((s) =>
            watchChanges(backends[s], {
              onNotice: (code, message) => side$.next({ type: 'notice', ts: Date.now(), code, message }),
              onReady: () => ready[s].next(),
              // Events were lost (a stream back after an outage, a root replaced): a pass finds what changed.
              onResync: () => request$.next('rescan'),
              onError: (error) => {
                failed(s, error)
                // A failure before the watcher was ready (the root missing: it polls) must not hold the
                // first pass back, which says what is wrong with the side in its own words.
                ready[s].next()
              },
              retryMs: timing.baseMs,
              retryMaxMs: timing.maxMs,
              ...(pollMs !== undefined ? { pollMs } : {}),
              ...(options.filter ? { filter: options.filter } : {}),
              ...(options.signal ? { signal: options.signal } : {}),
              scheduler,
            }).pipe(
              // Each path once quiet for the debounce, and a file once it settled (or, never quiet, at
              // most 20 debounces after, backing off), as in the one-way watch: a pass would copy a
              // file still being written half-way, or fail it as changed while read and read it all
              // again at the next (review 39: 380 MB read for an 80 MB file written slowly).
              coalesceChanges({ debounceMs, scheduler }),
              awaitStable({
                stat: (path) => backends[s].stat(path).catch(() => undefined),
                // (Half the debounce: a file written at once is quiet for the debounce when it gets
                // here, so its mtime is old enough without a second look.)
                windowMs: debounceMs / 2,
                scheduler,
              }),
              map(
                (c): SideChange => ({
                  side: s,
                  change: { type: c.entry === undefined ? 'remove' : 'upsert', path: c.path },
                  // (Stat'ed by awaitStable: PassEchoes takes it as the side's entry, no second stat.)
                  seen: { entry: c.entry },
                }),
              ),
              catchError((err: unknown) => {
                const error = asSyncError(err, 'watch')
                failed(s, error)
                if (endsContinuousJob(error.code)) endJob(error)
                ready[s].next()
                return EMPTY
              }),
            ),
          ),
        )
    const changed$ = new Subject<SideChange>()
    const watching$ = hints$.pipe(
      tap({
        next: (c) => changed$.next(c),
        complete: () => {
          changed$.complete()
          hintsEnded$.next()
        },
      }),
      ignoreElements(),
    )
    // Said once at the start (emitted when the job's stream is subscribed, not before).
    const pollingNotice$: Observable<SyncEvent> =
      polled.length === 0
        ? EMPTY
        : of({
            type: 'notice',
            ts: Date.now(),
            code: 'POLLING',
            message: `${polled.map((s) => backends[s].uri).join(' and ')} offers no change events: a pass compares both sides ${
              pollMs !== undefined ? `every ${pollMs / 1000} s` : 'every 2 s or more, as its listing takes longer'
            } (--poll-interval sets it)`,
          })

    const echoes = new PassEchoes(backends, scheduler)

    // Timers of the next retry and of the next poll: one of each at most, replaced by each pass.
    let retryTimer: Subscription | undefined
    let pollTimer: Subscription | undefined
    let failedPasses = 0
    let first = true
    /** After a pass: a retry if it failed for a reason that may pass, the next look at a side without events. */
    const afterPass = (done: DoneEvent | undefined, tookMs: number): void => {
      retryTimer?.unsubscribe()
      pollTimer?.unsubscribe()
      if (done === undefined || aborted() || total.fatal !== undefined) return
      const s = done.summary
      if (s.fatal !== undefined && endsContinuousJob(s.fatal.code)) return
      if (worthRetry(s)) {
        failedPasses++
        const trigger: CycleTrigger = s.fatal !== undefined ? 'rescan' : 'retry'
        retryTimer = timer(retryLaterDelayMs(failedPasses, timing), scheduler).subscribe(() => request$.next(trigger))
      } else failedPasses = 0
      if (polled.length > 0) {
        const entries = s.unchanged + Object.values(s.planned).reduce((n, c) => n + c, 0)
        const wait = pollMs ?? pollIntervalMs({ entries, tookMs })
        pollTimer = timer(wait, scheduler).subscribe(() => request$.next('changes'))
      }
    }

    const runPass = (trigger: CycleTrigger): Observable<SyncEvent> =>
      defer(() => {
        if (total.fatal !== undefined || aborted()) return EMPTY
        const initial = first
        first = false
        const started = scheduler.now()
        let done: DoneEvent | undefined
        return concat(
          rereadRules(),
          defer(() => bisync(a, b, { ...passOptions, ...(filterInUse ? { filter: filterInUse } : {}) })).pipe(
            tap((e) => {
              if (e.type === 'done') done = e
              else if (e.type === 'completed' && !e.dryRun) echoes.wrote(e)
            }),
            tagCycle(initial ? 'initial' : trigger),
          ),
          defer(() => {
            const fatal = done?.summary.fatal
            // The first pass's problem is the job's (a side missing, the lock held): it stops there,
            // unless it may pass (the network: the pass is tried again). A later pass's ends it only
            // when no retry can help: a side gone meanwhile (unmounted) is looked for again later.
            if (fatal !== undefined && (endsContinuousJob(fatal.code) || (initial && fatal.code !== 'TRANSIENT'))) {
              total.fatal = fatal
              fatal$.next()
            } else afterPass(done, scheduler.now() - started)
            return EMPTY
          }),
        )
      })

    const stop$ = merge(abort$, fatal$)
    let lastRemoveAt = Number.NEGATIVE_INFINITY
    const bothReady$: Observable<unknown> =
      watched.length === 0 ? of(undefined) : forkJoin(watched.map((s) => ready[s].pipe(take(1))))
    const triggers$: Observable<CycleTrigger> = merge(
      // The first pass once every watcher reports all changes from then on: none made meanwhile is missed.
      bothReady$.pipe(map((): CycleTrigger => 'initial')),
      changed$.pipe(
        batchChanges({
          // (Each path came out of its own debounce already: the batch closes at the first pause.)
          quietMs: changes ? debounceMs : BATCH_QUIET_MS,
          ...(batchMaxWaitMs !== undefined ? { maxWaitMs: batchMaxWaitMs } : {}),
          scheduler,
        }),
        concatMap(async (batch) => {
          if (await echoes.all(batch)) return []
          // (Only removals that are not a pass's own: a copy's temp file renamed into place came
          // back as a removal, and held the next pass, whatever it was for, another second.)
          if (batch.some((c) => c.change.type !== 'upsert')) lastRemoveAt = scheduler.now()
          return ['changes' as const]
        }),
        mergeMap((t) => t),
        // Held until `removeHoldMs` after the last removal (see the option); a batch coming meanwhile
        // replaces the held one, and waits as long or longer, so no pass asked for is lost.
        switchMap(() => {
          const wait = lastRemoveAt + removeHoldMs - scheduler.now()
          return wait > 0 ? timer(wait, scheduler) : of(0)
        }),
        map((): CycleTrigger => 'changes'),
      ),
      request$.pipe(takeUntil(hintsEnded$)),
      (options.rescanRequests ?? EMPTY).pipe(
        map((): CycleTrigger => 'rescan'),
        takeUntil(hintsEnded$),
      ),
      rescanMs > 0
        ? timer(rescanMs, rescanMs, scheduler).pipe(
            map((): CycleTrigger => 'rescan'),
            takeUntil(hintsEnded$),
          )
        : EMPTY,
    )
    // (The triggers first: hints given by a test may come, and end, as soon as they are subscribed.)
    const cycles$ = merge(triggers$, watching$).pipe(
      takeUntil(stop$),
      runExclusive(runPass, mergeTriggers),
      tap({
        finalize: () => {
          retryTimer?.unsubscribe()
          pollTimer?.unsubscribe()
          side$.complete()
        },
      }),
    )

    return concat(
      merge(pollingNotice$, side$.pipe(takeUntil(stop$)), cycles$).pipe(
        tap((e) => {
          if (e.type !== 'done') {
            // A dry run writes nothing, so each pass plans again what the one before planned: the
            // job would do what its last pass planned (the sum counted a file once per pass).
            if (!(total.dryRun && e.type === 'planned')) total.add(e)
            return
          }
          // Each pass compares every file: what the job found in step is what its last pass found,
          // and what it held back (deletes beyond --max-delete, and the writes held with them) too.
          total.unchanged = e.summary.unchanged
          total.skipped = e.summary.skipped
          // So is what fails: a side away for five passes is one failure, not five (review 39).
          total.failed = e.summary.failed
          total.listingErrors = e.summary.listingErrors
          for (const code of Object.keys(total.errorCodes)) delete total.errorCodes[code as SyncErrorCode]
          Object.assign(total.errorCodes, e.summary.errorCodes)
          if (total.dryRun) plannedOf(total, e.summary)
          if (e.summary.interrupted) total.interrupted = true
          // Whether deletes are held is the last pass's word: a later pass that ran them clears it.
          total.deletesSuppressed = e.summary.deletesSuppressed
        }),
        numberCycles(),
      ),
      jobEnd(total, options.signal),
    )
  })
}
