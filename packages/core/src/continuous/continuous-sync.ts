import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  fromEvent,
  ignoreElements,
  interval,
  type MonoTypeOperatorFunction,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  ReplaySubject,
  Subject,
  take,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs'
import { type Backend, supports } from '../backend/backend.js'
import { DELETE_SUPPRESSIONS, SummaryBuilder } from '../engine/summary-builder.js'
import { sync } from '../engine/sync.js'
import { asSyncError, type SerializedError, SyncError, type SyncErrorCode } from '../errors/sync-error.js'
import { IGNORE_FILE_NAME } from '../filter/load-ignore-file.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Action } from '../model/action.js'
import type { Change } from '../model/change.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { FailedEvent, NoticeCode, SyncEvent, SyncSummary } from '../model/sync-event.js'
import { listingErrorHoldsDeletes } from '../operators/guard-deletes.js'
import { isRunStop } from '../operators/stop-when-refused.js'
import { mapConcurrent } from '../util/map-concurrent.js'
import { awaitStable } from './await-stable.js'
import { backendView } from './backend-view.js'
import { batchChanges } from './batch-changes.js'
import { coalesceChanges } from './coalesce-changes.js'
import type { ContinuousOptions } from './continuous-options.js'
import { type CycleTrigger, mergeTriggers, numberCycles, tagCycle } from './cycle-report.js'
import { holdForNewNames } from './hold-for-new-names.js'
import { holdRemoves } from './hold-removes.js'
import { jobEnd } from './job-end.js'
import { MarkedHints } from './marked-hints.js'
import type { ObservedChange } from './observed-change.js'
import { reloadRules } from './reload-rules.js'
import { endsContinuousJob, retriesLater, retryLaterDelayMs } from './retry-later.js'
import { runExclusive } from './run-exclusive.js'
import { isSourceGone, isSourceRootMissing, sourceGoneError } from './source-gone.js'
import { syncPaths } from './sync-paths.js'
import { watchChanges } from './watch-changes.js'

/** The source's ignore file, whose change makes the job read its rules again. */
const IGNORE_FILE_PATH = IGNORE_FILE_NAME as RelPath

/** One unit of work: a full rescan, or a cycle over changed paths (a rescan covers any paths). */
interface Work {
  readonly rescan: boolean
  /** What asked for it: its cycle's `done` says so (`DoneEvent.trigger`). */
  readonly trigger: CycleTrigger
  readonly paths: ReadonlySet<RelPath>
  /** What the source held at each changed path when its change was found stable (see SyncPathsOptions.seen). */
  readonly seen?: ReadonlyMap<RelPath, Entry | undefined>
  /** Paths a change reported removed or renamed away (see SyncPathsOptions.replaced). */
  readonly replaced?: ReadonlySet<RelPath>
  /**
   * Failures of the source's watcher (already reported as they happened) that this cycle's `done`
   * counts: one that no cycle ran for is said by a cycle of its own, that only counts them.
   */
  readonly failures?: readonly FailedEvent[]
  /** The paths of an earlier cycle, tried again once they are old enough for `minAgeMs` (see `end`). */
  readonly ageRecheck?: true
  /**
   * Files that never settled (`ObservedChange.busy`: a log written without pause), or their retry:
   * a cycle of their own, never merged with other paths (`mergeWork`). Their copy races the writer
   * and often fails (CONFLICT, changed while read), and a failure holds back its cycle's deletes:
   * batched with other changes, a busy log held back every delete made beside it, each cycle and
   * each retry anew for as long as it was written (review 35 #3).
   */
  readonly busy?: true
}

/**
 * `b` merged into `a` (pending before it), or `undefined` when they must run apart: busy files and
 * other paths (see `Work.busy`). A rescan takes everything, and work that only counts failures goes with any.
 */
const mergeWork = (a: Work, b: Work): Work | undefined => {
  if (!a.rescan && !b.rescan && !onlyCounts(a) && !onlyCounts(b) && (a.busy === true) !== (b.busy === true)) {
    return undefined
  }
  const syncing = [a, b].filter((w) => !onlyCounts(w))
  const busy = syncing.length > 0 && syncing.every((w) => w.busy === true)
  const failures = [...(a.failures ?? []), ...(b.failures ?? [])]
  const counting = failures.length > 0 ? { failures } : {}
  // Work that only counts failures does not make a cycle over changes broader, nor a rescan narrower.
  const trigger = onlyCounts(a) ? b.trigger : onlyCounts(b) ? a.trigger : mergeTriggers(a.trigger, b.trigger)
  if (a.rescan || b.rescan) return { rescan: true, trigger, paths: new Set(), ...counting }
  const paths = new Set([...a.paths, ...b.paths])
  // The newer work's word on a path wins: a path it has without an observation (a retry) is not checked.
  const seen = new Map([...(a.seen ?? []), ...(b.seen ?? [])])
  for (const p of b.paths) if (!b.seen?.has(p)) seen.delete(p)
  // A removal reported stays one: the directory made again since is still not the mirrored one.
  const replaced = new Set([...(a.replaced ?? []), ...(b.replaced ?? [])])
  return {
    rescan: false,
    trigger,
    paths,
    ...(seen.size > 0 ? { seen } : {}),
    ...(replaced.size > 0 ? { replaced } : {}),
    ...(busy ? { busy: true as const } : {}),
    ...counting,
  }
}

/** `summary` without the listing failure `error` it counted (see `countedIn`, which adds some). */
function uncounted(summary: SyncSummary, error: SerializedError): SyncSummary {
  const errorCodes = { ...summary.errorCodes }
  const n = (errorCodes[error.code] ?? 1) - 1
  if (n > 0) errorCodes[error.code] = n
  else delete errorCodes[error.code]
  return {
    ...summary,
    failed: Math.max(0, summary.failed - 1),
    listingErrors: Math.max(0, summary.listingErrors - (listingErrorHoldsDeletes(error) ? 1 : 0)),
    errorCodes,
  }
}

/** Work that syncs nothing: it only counts failures of the watcher in a `done` (see `Work.failures`). */
const onlyCounts = (w: Work): boolean => !w.rescan && w.paths.size === 0

/** Notices of a cycle that held its deletes back, which a rescan asked for at once would hold again. */
/**
 * Notices of how the job runs, not of what a cycle met: the same in every cycle (the concurrency
 * an open-files limit allows), said by the first only (QA: three lines per file changed in a watch).
 */
const SAID_ONCE: ReadonlySet<NoticeCode> = new Set<NoticeCode>(['CONCURRENCY_LOWERED'])

const HELD_BY: ReadonlySet<NoticeCode> = new Set<NoticeCode>(['DELETES_SUPPRESSED', 'MAX_DELETE', 'EMPTY_SOURCE'])

/** Paths stated at once by the re-check after a cycle. */
const RECHECK_CONCURRENCY = 16

/** Most files awaited at once for a removal to wait for its new name among them (see `newNamesOf`). */
const NEW_NAMES_MAX = 64

/**
 * How close a new file's first report and a removal are for the file to be its new name, maybe
 * (`newNamesOf`): a rename's two names are reported together, but on a loaded machine the watcher's
 * reading of the directory (which says the old name is gone) may come hundreds of ms after the
 * first write under the new name. A removal paired for nothing only waits for that file's check.
 */
const NEW_NAME_PAIR_MS = 1000

/** Most files remembered as shipped (about 100 bytes each). */
const SHIPPED_MAX = 200_000

/** A try scheduled for later: the work it becomes when due, unless that is no longer needed. */
interface LaterTry {
  readonly delayMs: number
  readonly work: () => Work | undefined
}

/**
 * `summary` of a cycle's sync with `failures` it did not see counted in (those of the cycle found
 * before or beside its sync: the rules file read again, the source's watcher), as its own are.
 */
function countedIn(summary: SyncSummary, failures: readonly FailedEvent[]): SyncSummary {
  const counted = failures.filter((f) => f.error.code !== 'ABORTED')
  if (counted.length === 0) return summary
  const errorCodes = { ...summary.errorCodes }
  for (const f of counted) errorCodes[f.error.code] = (errorCodes[f.error.code] ?? 0) + 1
  const listing = counted.filter((f) => f.stage === 'list' && listingErrorHoldsDeletes(f.error)).length
  return {
    ...summary,
    failed: summary.failed + counted.length,
    listingErrors: summary.listingErrors + listing,
    errorCodes,
  }
}

const isFile = (e: Entry | undefined): boolean => e !== undefined && e.kind !== 'dir'

/** Files copied since a watch's last full pass that it remembers (see `sinceFull`). */
const COPIED_SINCE_FULL_MAX = 100_000

/** How many files (anything not a directory, as the delete guard counts) an event added to the target. */
function targetFileDelta(e: SyncEvent): number {
  if (e.type !== 'completed' || e.dryRun) return 0
  const a = e.action
  if (a.kind === 'copy' || a.kind === 'update') return (isFile(a.source) ? 1 : 0) - (isFile(a.target) ? 1 : 0)
  if (a.kind === 'delete') return isFile(a.target) ? -1 : 0
  return 0 // a move renames one; mkdir, touch and skip make none
}

/**
 * `listing` as it goes, and once it has gone to its end (not when it was stopped or failed), how many
 * files (not directories) it held to `counted`.
 */
async function* countingFiles(listing: AsyncIterable<Entry>, counted: (files: number) => void): AsyncGenerator<Entry> {
  let files = 0
  for await (const e of listing) {
    if (e.kind !== 'dir') files++
    yield e
  }
  counted(files)
}

/** The summary `mode` of the whole continuous job's last `done` (cycle `done`s carry the sync mode). */
export const CONTINUOUS_MODE = 'watch'

/**
 * Continuous one-way sync (`syncflow watch`): a full sync first, then the source's change hints
 * (its `watch()` events, or polling) are coalesced per path (debounce), re-stated until stable,
 * batched, and each batch runs as one cycle through the one-shot engine (`syncPaths`), renames
 * becoming moves; a full rescan runs every `rescanMs`. Cycles never overlap: work arriving during
 * a cycle becomes the next one. Each cycle ends with its own `done`, which says its number and
 * what started it (`cycle`, `trigger`; one over changes that found nothing to do is not reported:
 * see `numberCycles`); the job ends, when `options.signal` aborts (the running cycle stops as a
 * sync does, state saved), with a last `done` whose summary has mode `watch` and totals over all
 * cycles.
 *
 * Failures are tried again later, never in a tight loop: a path whose transfer failed for a reason
 * that may pass (`retriesLater`) runs again in a cycle of its own after `retryLaterMs`, twice as
 * long each time it fails again (up to `retryLaterMaxMs`), with the deletes its failure held back;
 * a cycle that could not list a side (`TRANSIENT`: a server restarting) is followed by a rescan on
 * the same schedule until one succeeds; a lost event stream comes back (`watchChanges`). Only an
 * error no retry can fix (`AUTH`, `USAGE`, …) ends the job. The last `done` counts failures as
 * they are now: a path's once while it keeps failing, not at all once a later try succeeded (or,
 * for one polling could not list, a later poll listed it); a side's (it could not be listed or
 * watched) until a rescan lists both sides again.
 */
export function continuousSync(source: Backend, target: Backend, options: ContinuousOptions): Observable<SyncEvent> {
  return defer(() => {
    const scheduler = options.scheduler ?? asyncScheduler
    const debounceMs = options.debounceMs ?? 100
    const stabilityMs = options.stabilityMs ?? debounceMs
    const total = new SummaryBuilder(CONTINUOUS_MODE, options.dryRun ?? false)
    const side$ = new Subject<SyncEvent>()
    const feedback$ = new Subject<Change>()
    const rescanRequest$ = new Subject<void>()
    const fatal$ = new Subject<void>()
    /** Ends the job with `error` as its fatal one: no retry can help (credentials, a usage mistake). */
    const endJob = (error: SyncError | SerializedError): void => {
      total.fatal = error instanceof SyncError ? error.toJSON() : error
      fatal$.next()
    }
    const hintsEnded$ = new Subject<void>()
    const ready$ = new ReplaySubject<void>(1)
    const later$ = new Subject<LaterTry>()
    const timing = { baseMs: options.retryLaterMs ?? 1000, maxMs: options.retryLaterMaxMs ?? 60_000 }
    const aborted = (): boolean => options.signal?.aborted ?? false
    const abort$ = options.signal ? (aborted() ? of(0) : fromEvent(options.signal, 'abort')) : EMPTY
    const {
      debounceMs: _d,
      changes: _c,
      initialSync: _i,
      reloadFilter,
      filterFile: _f,
      checkRoots,
      rescanRequests: _rr,
      ...fixedOptions
    } = options
    // The filter in use: read again from the source's rules file when it changes (`reloadFilter`);
    // everything that filters (cycles, polling, events) asks the one in use when it asks.
    let filterInUse = options.filter
    const liveFilter: PathFilter | undefined =
      reloadFilter === undefined
        ? options.filter
        : {
            isExcluded: (path, kind) => filterInUse?.isExcluded(path, kind) ?? false,
            canPrune: (dir) => filterInUse?.canPrune(dir) ?? false,
            walkedOnly: (dir) => filterInUse?.walkedOnly?.(dir) ?? false,
            get empty() {
              return filterInUse?.empty ?? true
            },
            // The --files-from list, for the initial sync and each rescan to say which listed
            // paths the source lacks: left out, a watch never said it, where a sync does (QA 30d).
            get filesFrom() {
              return filterInUse?.filesFrom
            },
          }
    const syncOptions = { ...fixedOptions, ...(liveFilter ? { filter: liveFilter } : {}) }
    const filterFile = options.filterFile ?? IGNORE_FILE_PATH

    // The source root gone (`rm -rf` of it, a disk unmounted) is one outage, said and counted once
    // (QA 35 #3: twice, once by the cycle its files' removal started, "source … does not exist", then
    // by the watcher's poll, "the source … is gone", each counted): by whichever finds it first, in
    // the watcher's words, whose hint says what happens meanwhile. Over once a cycle finds it back.
    let goneSaid = false
    const sourceGoneSaid = (): boolean => {
      const said = goneSaid
      goneSaid = true
      return said
    }

    // Failures of the watcher that a cycle's `done` is to count (see `Work.failures`).
    const failureWork$ = new Subject<Work>()
    // A failure to watch (or poll) the source: its side said, as a one-shot run's listing failure
    // says it (QA 9 #3), at once; and counted by the next cycle's `done` (one of its own if no other
    // runs), as a cycle's own failures are: the watch log's `#n: 1 failed`, the webhook's /fail ping
    // and the ui's list of cycles said nothing of a server gone away between cycles (QA 11 #8).
    const sourceFailed = (error: SyncError, counted = true): void => {
      // Said already for this outage (a cycle found the root missing first): not said again.
      if (isSourceGone(error, source.uri) && sourceGoneSaid()) return
      const event: FailedEvent = {
        type: 'failed',
        ts: Date.now(),
        path: error.path ?? '',
        error: error.toJSON(),
        stage: 'list',
        side: 'source',
      }
      side$.next(event)
      if (counted) failureWork$.next({ rescan: false, trigger: 'changes', paths: new Set(), failures: [event] })
    }
    // --exclude-if-present: a hint below a directory the last full sync found marked is dropped.
    const markedHints = new MarkedHints(options.excludeIfPresent ?? [])
    /** A full sync's options, and what to call at its end (it notes the marked directories). */
    const fullSync = (): { options: ContinuousOptions; done: () => void } => {
      if (!markedHints.active) return { options: syncOptions, done: () => {} }
      const marks = markedHints.fullSync()
      return { options: { ...syncOptions, onMarked: marks.onMarked }, done: marks.done }
    }
    const hints$: Observable<Change> = (
      options.changes ??
      watchChanges(source, {
        onNotice: (code, message) => side$.next({ type: 'notice', ts: Date.now(), code, message }),
        onReady: () => ready$.next(),
        onResync: () => rescanRequest$.next(),
        onRecovered: (errors) => {
          for (const error of errors) recovered(error)
        },
        onError: sourceFailed,
        ...((options.initialSync ?? true) ? { initialSyncFollows: true } : {}),
        retryMs: timing.baseMs,
        retryMaxMs: timing.maxMs,
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        ...(liveFilter ? { filter: liveFilter } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        scheduler,
      })
    ).pipe(
      catchError((err: unknown) => {
        const error = asSyncError(err, 'watch')
        // The job stops when no retry can help: no cycle follows to count it.
        sourceFailed(error, !endsContinuousJob(error.code))
        // Credentials rejected, a bad configuration: no retry can help, so the job stops with it.
        if (endsContinuousJob(error.code)) endJob(error)
        return EMPTY
      }),
      tap({ complete: () => hintsEnded$.next() }),
      // (After the tap: a hint dropped here is no change of the stream's end.)
      filter((c) => !markedHints.drops(c.path)),
    )

    // Paths reported changed and not yet out of the stability wait, with when first reported, and
    // paths reported removed, when: a removal's possible new names (`newNamesOf`).
    const awaited = new Map<RelPath, number>()
    const removedAt = new Map<RelPath, number>()
    // Paths that came out of the stability wait before (bounded as `shipped`): not a new name.
    const cameOut = new Set<RelPath>()
    /**
     * Files reported within NEW_NAME_PAIR_MS of `removed`'s removal that are new to the job (never
     * out of the stability wait, never shipped) and still awaited: being written, maybe under its
     * new name. The removal is when it was reported, or found (a check of the path, written to
     * before, may find it gone before the watcher reports it: a loaded machine, CI).
     */
    const newNamesOf = (removed: RelPath): RelPath[] => {
      const at = removedAt.get(removed) ?? scheduler.now()
      removedAt.delete(removed)
      // Not in a burst (a checkout, an archive unpacking): its batching waits for it to pause, and
      // pairing each removal with thousands of new files would cost their product.
      if (awaited.size > NEW_NAMES_MAX) return []
      const names: RelPath[] = []
      for (const [path, since] of awaited) {
        // (Not itself: a path found gone is still awaited until it is let out.)
        if (path === removed || cameOut.has(path) || shipped.has(path)) continue
        if (Math.abs(since - at) <= NEW_NAME_PAIR_MS) names.push(path)
      }
      return names
    }
    const changeWork$: Observable<Work> = merge(hints$, feedback$.pipe(takeUntil(hintsEnded$))).pipe(
      tap((c) => {
        const now = scheduler.now()
        if (c.type === 'remove') removedAt.set(c.path, now)
        else if (!awaited.has(c.path)) awaited.set(c.path, now)
        if (c.type === 'rename' && c.from !== undefined) removedAt.set(c.from, now)
      }),
      coalesceChanges({ debounceMs, scheduler }),
      awaitStable({
        // An unreadable path goes on as "gone": the cycle states it again and leaves it alone.
        stat: (path) => source.stat(path).catch(() => undefined),
        windowMs: stabilityMs,
        scheduler,
      }),
      holdRemoves({ ...(options.moveHoldMs !== undefined ? { holdMs: options.moveHoldMs } : {}), scheduler }),
      // A file renamed while still written: its removal waits for its new name (holdForNewNames).
      // After holdRemoves, which lets a removal out a while after it was found gone (or just
      // before the next file): the new name, written at once, is reported by then (a check of
      // the old name could find it gone first). Before the new name counts as out (`awaited`,
      // `cameOut`), and before the filter below, which could drop it and leave its removal held.
      holdForNewNames({ newNamesOf }),
      tap((c) => {
        awaited.delete(c.path)
        if (c.entry === undefined) return // (its removal time is read, and dropped, by newNamesOf)
        removedAt.delete(c.path)
        if (cameOut.size >= SHIPPED_MAX) cameOut.clear()
        cameOut.add(c.path)
      }),
      // Already shipped as it is now (the event of a file a cycle took with its new directory, or
      // one that arrived while it was being copied): nothing to do, so no cycle for it.
      filter((c) => {
        const fp = c.entry?.kind === 'file' ? shipped.get(c.path) : undefined
        // The mode too: a chmod changes neither size nor mtime, and was dropped here until the
        // next rescan (an hour by default) while DST kept the old permissions (QA).
        return !(
          fp &&
          c.entry &&
          fp.size === c.entry.size &&
          fp.mtimeMs === c.entry.mtimeMs &&
          fp.mode === c.entry.mode
        )
      }),
      batchChanges({
        ...(options.batchQuietMs !== undefined ? { quietMs: options.batchQuietMs } : {}),
        ...(options.batchMaxWaitMs !== undefined ? { maxWaitMs: options.batchMaxWaitMs } : {}),
        ...(options.maxBatch !== undefined ? { maxSize: options.maxBatch } : {}),
        scheduler,
      }),
      // Busy files in a cycle of their own (see `Work.busy`), after the others.
      mergeMap((batch): Work[] => {
        // A removal held for a busy file (its new name, maybe: `ObservedChange.heldFor`) goes in its
        // cycle, where its delete waits for that file's copy.
        const busyPaths = new Set(batch.filter((c) => c.busy === true).map((c) => c.path))
        const withBusy = (c: ObservedChange): boolean =>
          c.busy === true || (c.heldFor !== undefined && busyPaths.has(c.heldFor))
        // Found again after it went with its new name (`holdForNewNames`), which came out before:
        // its delete is that file's cycle's (and its retries'), which runs it once the copy landed;
        // alone, it ran at once. (A batch closed between the two at its size keeps it.)
        const inBatch = new Set(batch.map((c) => c.path))
        const elsewhere = (c: ObservedChange): boolean =>
          c.heldFor !== undefined && !inBatch.has(c.heldFor) && cameOut.has(c.heldFor)
        const settled = batch.filter((c) => !withBusy(c) && !elsewhere(c))
        const busy = batch.filter((c) => withBusy(c) && !elsewhere(c))
        // Not the new name a removal waits for: changed since it was found stable (written again:
        // the writer was only slow), it was left out of its cycle, and the removal's delete ran
        // alone. Taken as it is when read, as a busy file is (a read that races a write fails).
        const awaitedBy = new Set(batch.flatMap((c) => (c.heldFor !== undefined ? [c.heldFor] : [])))
        const seenOf = (changes: readonly ObservedChange[]) =>
          changes.filter((c) => !awaitedBy.has(c.path)).map((c): [RelPath, Entry | undefined] => [c.path, c.entry])
        const work = (changes: readonly ObservedChange[], extra: Partial<Work>): Work => {
          const replaced = new Set(changes.filter((c) => c.removed).map((c) => c.path))
          return {
            rescan: false,
            trigger: 'changes',
            paths: new Set(changes.map((c) => c.path)),
            ...extra,
            ...(replaced.size > 0 ? { replaced } : {}),
          }
        }
        return [
          ...(settled.length > 0 ? [work(settled, { seen: new Map(seenOf(settled)) })] : []),
          // Without `seen`: a busy file has always changed since it was seen (ObservedChange.busy).
          ...(busy.length > 0 ? [work(busy, { busy: true })] : []),
        ]
      }),
    )
    const rescanMs = options.rescanMs ?? 3_600_000
    const rescans$: Observable<Work> = merge(
      rescanMs > 0 ? interval(rescanMs, scheduler) : EMPTY,
      rescanRequest$,
      options.rescanRequests ?? EMPTY,
    ).pipe(
      takeUntil(hintsEnded$),
      map((): Work => ({ rescan: true, trigger: 'rescan', paths: new Set() })),
    )
    const retries$: Observable<Work> = later$.pipe(
      mergeMap((t) => timer(t.delayMs, scheduler).pipe(map(t.work))),
      filter((w): w is Work => w !== undefined),
      takeUntil(hintsEnded$),
    )
    const failuresCounted$: Observable<Work> = failureWork$.pipe(takeUntil(hintsEnded$))
    // The initial sync waits until the watcher reports every change (a change made while it
    // was still starting would be in neither the snapshot nor the events); given hints are live at once.
    const initial$: Observable<Work> = !(options.initialSync ?? true)
      ? EMPTY
      : (options.changes ? of(undefined) : ready$.pipe(take(1))).pipe(
          map((): Work => ({ rescan: true, trigger: 'initial', paths: new Set() })),
        )
    let first = options.initialSync ?? true
    /** Said by the first cycle: every cycle is a run of its own with the same limit (see `sayOnce`). */
    const said = new Set<NoticeCode>()
    const sayOnce = filter((e: SyncEvent): boolean => {
      if (e.type !== 'notice' || !SAID_ONCE.has(e.code)) return true
      if (said.has(e.code)) return false
      said.add(e.code)
      return true
    })
    let sawDone = !first
    // The `done`s of work that only counted failures (`onlyCounts`).
    const countingOnly = new WeakSet<SyncSummary>()
    // The `done`s of full syncs that held no delete back: the mirror is whole again.
    const fullAndClean = new WeakSet<SyncSummary>()

    // Whether the target root is known to exist (see `asCycle`): not before the first write into it
    // (a watch of an empty source does not make it), so a new root is not taken for a lost one.
    let targetRootSeen = false
    // Which directory that root is (`RootIdentifiable`), taken when it is first seen: one replaced
    // under the same path holds none of the mirror (asCycle).
    let targetRootId: Promise<string | undefined> | undefined
    // A full sync is owed to a target root found gone or replaced (asCycle) until one runs to its
    // end: while its full sync fails (a file where the root was), a later cycle over the changed
    // paths alone re-created the root holding just those (QA 25c #6).
    let targetRootOwed = false
    // Deletes a cycle held back because it found the source empty (EMPTY_SOURCE): owed a full sync
    // once a later cycle finds files in the source again (review of watch: a build's `rm -rf dist/*`,
    // then the new build, left the old build's files in the mirror until the next --rescan, an hour
    // by default, never with --rescan 0; a one-shot `sync` then deletes them).
    let emptySourceHeld = false

    // What the last cycles shipped (size, mtime and mode of the source file), to drop the late events
    // of files already done. Bounded: forgotten wholesale when full (events then just cost a stat).
    // Not with --checksum, where equal size and mtime do not mean equal content.
    const shipped = new Map<RelPath, { readonly size: number; readonly mtimeMs: number; readonly mode?: number }>()
    const remember = (e: SyncEvent): void => {
      // The target root exists once something was written into it, or found there as it should be.
      if (
        (e.type === 'completed' && !e.dryRun) ||
        (e.type === 'done' && e.summary.unchanged + (e.summary.leftExisting ?? 0) + (e.summary.leftNewer ?? 0) > 0)
      ) {
        if (!targetRootSeen && supports.rootIdentity(target))
          targetRootId = target.rootIdentity().catch(() => undefined)
        targetRootSeen = true
      }
      if (e.type !== 'completed' || options.compare === 'checksum' || e.dryRun) return
      const a = e.action
      if ((a.kind === 'copy' || a.kind === 'update' || a.kind === 'move') && a.source?.kind === 'file') {
        if (shipped.size >= SHIPPED_MAX) shipped.clear()
        shipped.set(a.path, { size: a.source.size, mtimeMs: a.source.mtimeMs, mode: a.source.mode })
      }
      if (a.kind === 'delete') shipped.delete(a.path)
      if (a.from !== undefined) shipped.delete(a.from)
    }

    // The target's file count, which a cycle measures a percentage --max-delete against (its own
    // listing holds only the changed paths; QA 12 #1: the percentage was dropped, and an `rm -rf` of
    // most of the source emptied the mirror): what the last full pass's target listing held, with
    // that pass's and each later cycle's copies and deletes added. Unknown until a full pass listed
    // the whole target: a cycle's deletes then wait for one.
    let targetFiles: number | undefined
    const addTargetFiles = (n: number): void => {
      if (targetFiles !== undefined && n !== 0) targetFiles = Math.max(0, targetFiles + n)
    }
    // --max-delete holds for the deletes of all cycles since the last full pass together, as a
    // `sync` run's for its deletes, of the files the target held after that pass (review of watch: a cycle's share
    // at a time, an `rm -rf` slower than a cycle, 30 directories one after another, deleted 70% of
    // the mirror under --max-delete 10% before one cycle's share was over 10% of what was left).
    // Not the files copied since and deleted again (a build's temp files, a rotated log): those
    // were not there to protect. Counted from the first full pass on; reset by each one.
    let sinceFull: { targetFiles: number; deleted: number } | undefined
    const copiedSinceFull = new Set<RelPath>()
    // A dry run counts what it would do (its target unchanged, a path may come up again: once),
    // so that it previews the real watch: it said `would delete` past the budget the watch refuses.
    const dryDeleted = new Set<RelPath>()
    const countSinceFull = (e: SyncEvent): void => {
      if (sinceFull === undefined || e.type !== 'completed') return
      const a = e.action
      if ((a.kind === 'copy' || a.kind === 'update') && isFile(a.source) && !isFile(a.target)) {
        // (Bounded: past it, a new file's delete counts as any other's, the safe side.)
        if (copiedSinceFull.size < COPIED_SINCE_FULL_MAX) copiedSinceFull.add(a.path)
        if (e.dryRun) dryDeleted.delete(a.path)
      } else if (a.kind === 'delete' && isFile(a.target)) {
        if (e.dryRun) {
          if (dryDeleted.has(a.path)) return
          if (dryDeleted.size < COPIED_SINCE_FULL_MAX) dryDeleted.add(a.path)
        }
        if (!copiedSinceFull.delete(a.path)) sinceFull.deleted++
      }
    }

    // Paths whose last try failed for a reason that may pass → how many tries failed in a row.
    const failing = new Map<RelPath, number>()
    // Rescans in a row that could not list a side.
    let relistFailures = 0

    // The total counts failures as they are now: a path's once while it keeps failing, and not at
    // all once a later try succeeded; those of a whole side (no path: it could not be listed or
    // watched) until a rescan lists both sides again. The events themselves tell the history.
    interface Counted {
      readonly code: SyncErrorCode
      readonly list: boolean
    }
    const counted = new Map<string, Counted>()
    let sideFailures: Counted[] = []
    const discount = (f: Counted): void => {
      total.failed--
      if (f.list) total.listingErrors--
      const n = (total.errorCodes[f.code] ?? 1) - 1
      if (n > 0) total.errorCodes[f.code] = n
      else delete total.errorCodes[f.code]
    }
    const uncount = (path: string): void => {
      const f = counted.get(path)
      if (f === undefined) return
      counted.delete(path)
      discount(f)
    }
    // A listing failure of a path is kept apart from its transfer's: the S3 object `x` that is also a
    // prefix (`x/child`) fails the listing at `x` (its keys below skipped, deletes held) while `x`
    // itself is copied, and that copy took the listing failure for healed: the job's last `done`
    // said no failure and no listing error (QA 29d). Only a listing (a rescan, polling) heals one.
    const LIST = '\0list'
    const listKey = (path: string): string => path + LIST
    const pathOfKey = (key: string): string => (key.endsWith(LIST) ? key.slice(0, -LIST.length) : key)
    const count = (e: FailedEvent): void => {
      // As the SummaryBuilder counted it (`total.add`): a listing error only if it holds deletes back.
      const f = { code: e.error.code, list: e.stage === 'list' && listingErrorHoldsDeletes(e.error) }
      if (e.path === '') sideFailures.push(f)
      else {
        const key = e.stage === 'list' ? listKey(e.path) : e.path
        uncount(key)
        counted.set(key, f)
      }
    }
    /** A listing error of the source that polling reported is over (its next listing had it no more). */
    const recovered = (error: SyncError): void => {
      if (error.path === undefined || error.path === '') {
        const i = sideFailures.findIndex((f) => f.list && f.code === error.code)
        const [f] = i < 0 ? [] : sideFailures.splice(i, 1)
        if (f) discount(f)
        return
      }
      const f = counted.get(listKey(error.path))
      if (f?.list && f.code === error.code) uncount(listKey(error.path))
    }
    /** After a rescan that listed both sides: only the failures it saw again are left. */
    const healed = (failedAgain: ReadonlySet<string>): void => {
      for (const f of sideFailures) discount(f)
      sideFailures = []
      for (const key of [...counted.keys()]) if (!failedAgain.has(pathOfKey(key))) uncount(key)
    }

    // Deletes a cycle skipped (held back), counted in the job's `skipped` once while they stay held,
    // as failures are (see `count`): not at all once a later cycle ran them, or covered their path
    // and found nothing to delete. The job's "Deletes suppressed" goes with the last of them.
    const stillHeld = new Set<RelPath>()
    /**
     * The failures that held each held delete back (its cycle's, when it ended with them): the delete
     * runs only in a cycle that tries again every one of them still failing (see `readyIn`).
     */
    const heldBy = new Map<RelPath, ReadonlySet<RelPath>>()
    const release = (path: RelPath): void => {
      heldBy.delete(path)
      if (stillHeld.delete(path)) total.skipped--
    }
    /**
     * Whether the held delete `path` may run in a cycle over `paths`: none of the failures that held
     * it back is still failing outside them. A delete that went with a failure's retry ran alone once
     * that failure had failed again in a cycle of its own (a busy file's next change, or a retry
     * apart, due later): the old name of a file renamed while written was deleted while its new name's
     * copy still failed, and the target held neither for seconds (up to the retry's wait).
     */
    const readyIn = (path: RelPath, paths: ReadonlySet<RelPath>): boolean =>
      [...(heldBy.get(path) ?? [])].every((f) => paths.has(f) || !failing.has(f))
    /** `work` with the held deletes that go with its paths' tries (see `readyIn`). */
    const withHeldDeletes = (work: Work): Work => {
      if (work.rescan || heldBy.size === 0) return work
      const add = [...heldBy]
        .filter(([d, by]) => stillHeld.has(d) && !work.paths.has(d) && [...by].some((f) => work.paths.has(f)))
        .map(([d]) => d)
        .filter((d) => readyIn(d, work.paths))
      return add.length === 0 ? work : { ...work, paths: new Set([...work.paths, ...add]) }
    }
    /**
     * A cycle that did not stop has released the held deletes at paths it looked at (`examined`)
     * and did not hold again: not those below a directory it named but could not state or list, or
     * did not list (one on both sides), which it never saw (the closing summary stopped saying
     * deletes were suppressed while the delete had not run).
     */
    const releaseCovered = (examined: (path: RelPath) => boolean, heldAgain: ReadonlySet<RelPath>): void => {
      for (const p of [...stillHeld]) if (!heldAgain.has(p) && examined(p)) release(p)
    }

    /** What a cycle's events say needs trying again, scheduled when the cycle ends. */
    const watchOutcome = (work: Work) => {
      const again = new Set<RelPath>()
      const failedHere = new Set<string>()
      const heldDeletes: RelPath[] = []
      const vanished = new Set<RelPath>()
      let deletesSuppressed = false
      let relist = false
      let listingErrors = false
      /** The cycle's run stopped (its `done` has a fatal): the paths it did not get to were not tried. */
      let stopped = false
      /** Which paths a cycle over paths looked at (`SyncPathsOptions.onExamined`); a rescan, all. */
      let examined: (path: RelPath) => boolean = () => work.rescan
      return {
        examinedBy(f: (path: RelPath) => boolean): void {
          examined = f
        },
        see(e: SyncEvent): void {
          if (e.type === 'completed') {
            failing.delete(e.action.path)
            if (e.action.from !== undefined) failing.delete(e.action.from)
          } else if (e.type === 'failed' && e.error.code !== 'ABORTED') {
            const path = e.path as RelPath
            failedHere.add(path)
            if (e.stage === 'list') {
              // A name skipped for an unsafe character hides nothing from a rescan.
              if (listingErrorHoldsDeletes(e.error)) listingErrors = true
              // A side that could not be listed or stated (a server down): a rescan covers every
              // path, new directories taken whole included. Other listing errors of a cycle's own
              // paths (a permission fixed later) are tried as paths; a rescan's wait for the next.
              if (e.error.code === 'TRANSIENT') relist = true
              else if (!work.rescan && path !== '' && retriesLater(e.error.code)) again.add(path)
              // A directory renamed or deleted while the cycle listed it (NOT_FOUND): see `end`.
              else if (!work.rescan && path !== '' && e.error.code === 'NOT_FOUND' && !failing.has(path)) {
                vanished.add(path)
              }
            } else if (path !== '' && retriesLater(e.error.code)) again.add(path)
            // A source file deleted between the cycle's listing and its copy (a short-lived temp
            // file in a burst) fixes itself: its next try finds it gone (or back) and takes the
            // deletes its failure held back with it, which were otherwise left until the next
            // rescan (QA 25c #1).
            else if (path !== '' && e.stage === 'transfer' && e.error.code === 'NOT_FOUND') again.add(path)
          } else if (e.type === 'skipped' && e.action?.kind === 'delete') {
            heldDeletes.push(e.action.path)
          } else if (e.type === 'notice' && e.code === 'DELETES_SUPPRESSED') {
            deletesSuppressed = true
          } else if (e.type === 'done' && e.summary.fatal !== undefined) {
            stopped = true
            if (e.summary.fatal.code === 'TRANSIENT') relist = true
          }
          // (Before the job's totals see the `done`, which say whether deletes are still held.)
          if (e.type === 'done' && !stopped && !(work.rescan && listingErrors)) {
            releaseCovered(examined, new Set(heldDeletes))
          }
        },
        end(): void {
          if (aborted()) return
          // A path that vanished while listed held the deletes back: tried once more, it is found
          // gone (or where it is now) and they run with it; they otherwise waited for the next
          // rescan (QA 25c #2). Only then, and once, since the same code says a dangling symlink
          // under --symlinks follow, which no try fixes.
          if (deletesSuppressed) for (const p of vanished) again.add(p)
          // Deletes held back by those failures go with their next try (and any later one: see `readyIn`).
          if (deletesSuppressed && again.size > 0) {
            const by = new Set([...again].filter((p) => !heldDeletes.includes(p)))
            for (const p of heldDeletes) {
              again.add(p)
              heldBy.set(p, by)
            }
          }
          // The cycle's paths that did not fail again are fine (a rescan's, when it saw them all).
          const fine = work.rescan ? (listingErrors ? [] : [...failing.keys()]) : work.paths
          for (const p of fine) if (!again.has(p)) failing.delete(p)
          // A path's earlier failure is over once a try of it failed no more, whether or not that
          // try had anything to do: a file that vanished before its copy is found gone on both
          // sides and makes no `completed` event, and it stayed a failure of the job (QA 28d N2).
          // Not when the run stopped (a server gone, a refusal): the paths it never got to are as
          // failing as before, and were uncounted, so the closing summary said fewer failures.
          if (!work.rescan && !stopped) for (const p of work.paths) if (!failedHere.has(p)) uncount(p)
          const due = new Map<number, [RelPath, number][]>()
          for (const path of again) {
            const tries = (failing.get(path) ?? 0) + 1
            failing.set(path, tries)
            const delayMs = retryLaterDelayMs(tries, timing)
            const group = due.get(delayMs)
            if (group) group.push([path, tries])
            else due.set(delayMs, [[path, tries]])
          }
          for (const [delayMs, group] of due) {
            later$.next({
              delayMs,
              work: () => {
                // Not when it succeeded or failed again meanwhile (that failure has its own try), nor
                // a held delete whose failures failed again apart: it goes with their next try.
                const tried = new Set(group.filter(([p, tries]) => failing.get(p) === tries).map(([p]) => p))
                const paths = [...tried].filter((p) => !stillHeld.has(p) || readyIn(p, tried))
                if (paths.length === 0) return undefined
                // A directory made again that failed is still to be compared whole when tried again.
                const replaced = new Set(paths.filter((p) => work.replaced?.has(p)))
                return {
                  rescan: false,
                  trigger: 'retry',
                  paths: new Set(paths),
                  ...(replaced.size > 0 ? { replaced } : {}),
                  // A busy file's retry races its writer as its cycle did: apart from other paths too.
                  ...(work.busy ? { busy: true as const } : {}),
                }
              },
            })
          }
          // --min-age: a file this cycle left out as modified too recently gets no other event, so
          // it waited for the next --rescan (an hour by default, never with --rescan 0), with no
          // word. The cycle's paths are tried once more when what they held is old enough; the
          // files the initial sync left out, with a rescan then (QA 25d).
          const minAgeMs = options.minAgeMs
          if (minAgeMs !== undefined && minAgeMs > 0) {
            // (A second more: a file's mtime may be a tick ahead of the clock read at a run's start.)
            const delayMs = minAgeMs + 1000
            if (!work.rescan && work.paths.size > 0 && work.ageRecheck === undefined) {
              const paths = new Set(work.paths)
              const busy = work.busy ? { busy: true as const } : {}
              later$.next({
                delayMs,
                work: () => ({ rescan: false, trigger: 'changes', paths, ageRecheck: true, ...busy }),
              })
            } else if (work.trigger === 'initial') {
              later$.next({ delayMs, work: () => ({ rescan: true, trigger: 'rescan', paths: new Set() }) })
            }
          }
          if (relist) {
            const tries = ++relistFailures
            later$.next({
              delayMs: retryLaterDelayMs(tries, timing),
              // A full rescan: said as one (`trigger`), like the others that list the trees again.
              work: () =>
                relistFailures === tries ? { rescan: true, trigger: 'rescan', paths: new Set() } : undefined,
            })
          } else if (work.rescan && !listingErrors) {
            relistFailures = 0
            healed(failedHere)
          }
        },
      }
    }

    /** Before a rescan: the rules file read again (see `reloadRules`). */
    const rereadRules = (): Observable<SyncEvent> =>
      reloadRules(
        reloadFilter,
        filterFile,
        (f) => {
          filterInUse = f
        },
        'from now on (a full sync follows)',
      )

    const runWork = (work: Work): Observable<SyncEvent> => {
      const counted = work.failures ?? []
      const withCounted = map(
        (e: SyncEvent): SyncEvent =>
          e.type === 'done' && e.summary.mode !== CONTINUOUS_MODE
            ? { ...e, summary: countedIn(e.summary, counted) }
            : e,
      )
      if (onlyCounts(work)) {
        const summary = countedIn(new SummaryBuilder(options.mode, options.dryRun ?? false).build(), counted)
        const done: SyncEvent = { type: 'done', ts: Date.now(), summary }
        countingOnly.add(summary)
        return of(done)
      }
      const later = !first
      let stoppedBy: SerializedError | undefined
      let refused = false
      const cycle$ = runCycle(work).pipe(
        withCounted,
        // (Not the first cycle's: a source missing at the start is the job's fatal error.)
        later ? saidOnceGone : map((e: SyncEvent) => e),
        sayOnce,
        tap((e) => {
          if (!later) return
          if (e.type === 'done' && e.summary.fatal && endsContinuousJob(e.summary.fatal.code)) {
            stoppedBy = e.summary.fatal
          }
          if (e.type === 'failed' && endsContinuousJob(e.error.code)) refused = true
        }),
      )
      return concat(
        cycle$,
        defer(() => refusedForGood(stoppedBy, refused)),
      )
    }

    /**
     * A cycle's finding that the source root does not exist, in the watcher's words
     * (`sourceGoneError`), or left out when this outage was said already: its failure not shown,
     * and its `done` (whose fatal error it stays) not counting it as one more (see `goneSaid`).
     */
    const saidOnceGone: MonoTypeOperatorFunction<SyncEvent> = (events$) =>
      defer(() => {
        const gone = sourceGoneError(source.uri).toJSON()
        let dropped = false
        return events$.pipe(
          filter((e) => {
            if (e.type !== 'failed' || !isSourceRootMissing(e, source.uri) || !sourceGoneSaid()) return true
            dropped = true
            return false
          }),
          map((e): SyncEvent => {
            if (e.type === 'failed' && isSourceRootMissing(e, source.uri)) return { ...e, path: '', error: gone }
            if (e.type !== 'done' || e.summary.mode === CONTINUOUS_MODE) return e
            const fatal = e.summary.fatal
            const missing = fatal?.code === 'NOT_FOUND' && fatal.path === source.uri
            // The source root found (this cycle checked it first): a later outage is a new one.
            if (!missing) {
              goneSaid = false
              return e
            }
            // Still stopped by it (a script reads why), but not one more failure.
            const summary = { ...e.summary, fatal: gone }
            return { ...e, summary: dropped ? uncounted(summary, fatal) : summary }
          }),
        )
      })

    /**
     * After a cycle past the first: a refusal no retry can fix ends the job, as it ends the first
     * cycle's (a `syncflow serve` restarted with another --token refused every later cycle, path
     * by path, and the watch went on syncing nothing for ever, exit code and all unchanged). The
     * cycle's own fatal one (its listing refused, its transfers stopped: `RefusalStop`) ends it at
     * once; a refusal of some items only (an S3 policy that denies one prefix) ends it when the
     * roots are refused too, asked once each: otherwise the other paths go on syncing.
     */
    const refusedForGood = (stoppedBy: SerializedError | undefined, refused: boolean): Observable<SyncEvent> => {
      if (aborted() || total.fatal !== undefined) return EMPTY
      if (stoppedBy !== undefined) {
        endJob(stoppedBy)
        return EMPTY
      }
      if (!refused) return EMPTY
      return defer(async () => {
        for (const side of [target, source]) {
          const error = await side.rootExists().then(
            () => undefined,
            (err: unknown) => asSyncError(err, 'watch'),
          )
          if (error !== undefined && endsContinuousJob(error.code)) {
            if (!aborted() && total.fatal === undefined) endJob(error)
            return
          }
        }
      }).pipe(ignoreElements())
    }

    const runCycle = (given: Work): Observable<SyncEvent> => {
      const work = withHeldDeletes(given)
      const isFirst = first
      first = false
      const outcome = watchOutcome(work)
      if (work.rescan) {
        // The rules file's failure is the cycle's: its line counts it (QA 11 #8: `#2: 1 updated`
        // under a failure line), as do the webhook's ping and the ui's cycle list.
        const before: FailedEvent[] = []
        const rules$ = (isFirst ? EMPTY : rereadRules()).pipe(
          tap((e) => {
            if (e.type === 'failed') before.push(e)
          }),
        )
        // The target counted as the pass lists it; its copies and deletes, which may come before
        // the listing's end, are added once the pass is over.
        let listedFiles: number | undefined
        let passDelta = 0
        const countedTarget = backendView(target, {
          list: (opts) =>
            countingFiles(target.list(opts), (n) => {
              listedFiles = n
            }),
        })
        let emptyHere = false
        const full = fullSync()
        const sync$ = sync(source, countedTarget, full.options).pipe(
          map((e): SyncEvent => (e.type === 'done' ? { ...e, summary: countedIn(e.summary, before) } : e)),
          tap({
            next: (e) => {
              passDelta += targetFileDelta(e)
              if (e.type === 'done') full.done()
            },
            complete: () => {
              if (listedFiles !== undefined) targetFiles = Math.max(0, listedFiles + passDelta)
              else addTargetFiles(passDelta)
              // A new budget of deletes from here (see `sinceFull`): the pass judged all it found.
              if (listedFiles !== undefined && targetFiles !== undefined) {
                sinceFull = { targetFiles, deleted: 0 }
                copiedSinceFull.clear()
                dryDeleted.clear()
              }
            },
          }),
        )
        // The roots checked again (see ContinuousOptions.checkRoots): refused, the job ends with it.
        const checked$: Observable<SyncEvent> =
          isFirst || checkRoots === undefined
            ? EMPTY
            : defer(checkRoots).pipe(
                ignoreElements(),
                catchError((err: unknown) => {
                  const error = asSyncError(err, 'watch')
                  endJob(error)
                  const failed: SyncEvent = {
                    type: 'failed',
                    ts: Date.now(),
                    path: error.path ?? '',
                    error: error.toJSON(),
                    stage: 'list',
                  }
                  return of(failed)
                }),
              )
        return concat(
          checked$,
          defer(() => (total.fatal !== undefined ? EMPTY : concat(rules$, sync$))),
        ).pipe(
          tap({
            next: (e) => {
              remember(e)
              outcome.see(e)
              if (e.type === 'notice' && e.code === 'EMPTY_SOURCE') emptyHere = true
              if (e.type === 'done' && e.summary.fatal === undefined) {
                targetRootOwed = false
                emptySourceHeld = emptyHere
                if (!e.summary.interrupted && e.summary.deletesSuppressed === undefined) fullAndClean.add(e.summary)
              }
              // A job that cannot even start (missing source, credentials, lock) stops here; one
              // whose side did not answer (a server restarting) tries again later.
              if (isFirst && e.type === 'done' && e.summary.fatal && e.summary.fatal.code !== 'TRANSIENT') fatal$.next()
            },
            complete: () => outcome.end(),
          }),
        )
      }
      const transferred: Action[] = []
      let dirStuck = false
      let deletesHeld = false
      let emptyHere = false
      /** The cycle found a source file or directory (so the source is empty no more). */
      let sourceHolds = false
      const cycle$ = syncPaths(source, target, [...work.paths], {
        ...syncOptions,
        ...(work.seen ? { seen: work.seen } : {}),
        ...(work.replaced ? { replaced: work.replaced } : {}),
        ...(targetFiles !== undefined ? { targetFiles } : {}),
        ...(sinceFull !== undefined
          ? { sinceFullPass: { ...sinceFull, copied: (p: string) => copiedSinceFull.has(p as RelPath) } }
          : {}),
        settled: (e) => e.kind !== 'file' || scheduler.now() - e.mtimeMs >= stabilityMs,
        onUnsettled: (paths) => {
          for (const path of paths) feedback$.next({ type: 'upsert', path })
        },
        onExamined: (examined) => outcome.examinedBy(examined),
      }).pipe(
        tap((e) => {
          remember(e)
          outcome.see(e)
          addTargetFiles(targetFileDelta(e))
          countSinceFull(e)
          if (e.type === 'completed' && (e.action.kind === 'copy' || e.action.kind === 'update')) {
            transferred.push(e.action)
          }
          if (e.type === 'skipped' && e.action?.kind === 'delete' && e.action.target?.kind === 'dir') dirStuck = true
          // Held by a guard (--max-delete, an empty source): a rescan would only hold them again
          // and say the same note once more (QA 12 #8); they wait for the user, as in a `sync`.
          if (e.type === 'notice' && HELD_BY.has(e.code)) deletesHeld = true
          if (e.type === 'notice' && e.code === 'EMPTY_SOURCE') emptyHere = true
          if (e.type === 'completed' && e.action.kind !== 'delete') sourceHolds = true
          if (e.type === 'done' && e.summary.unchanged > 0) sourceHolds = true
        }),
      )
      // Re-checked after the transfer: a file changed while it was copied goes round again. The
      // re-check does not hold up the next cycle (the paths it finds changed join whatever cycle
      // comes next): after a burst it stats every file shipped, ~0.1–0.2 s for 10,000 files on two
      // busy cores, which the files that arrived during the cycle used to wait for.
      const recheck = async (): Promise<void> => {
        if (aborted()) return
        await mapConcurrent(transferred, RECHECK_CONCURRENCY, async (a) => {
          if (aborted()) return
          const now = await source.stat(a.path).catch(() => undefined)
          const was = a.source
          if (now && was && (now.size !== was.size || now.mtimeMs !== was.mtimeMs)) {
            feedback$.next({ type: 'upsert', path: a.path })
          }
        })
        // Contents of a removed directory that no event named: a full rescan deletes them. Not when
        // the cycle held its deletes back (a listing error, a guard): they go with the failure's next
        // try or the next rescan, and a rescan now only reported the same failure again (QA 6 F5).
        if (dirStuck && !deletesHeld) rescanRequest$.next()
        // Deletes held back by an empty source (see `emptySourceHeld`): the source holds files again.
        else if (emptyHere) emptySourceHeld = true
        else if (emptySourceHeld && sourceHolds) {
          emptySourceHeld = false
          rescanRequest$.next()
        }
      }
      return cycle$.pipe(
        // A listing stopped by the interrupt (Ctrl-C while a cycle lists a new directory) throws
        // ABORTED: the cycle ends there, as the job does, with its totals; passed on, it ended the
        // job as an error and its last done lost what every cycle had done (QA 25c #5).
        catchError((err: unknown) => (aborted() ? EMPTY : throwError(() => err))),
        tap({
          complete: () => {
            outcome.end()
            recheck().catch(() => {})
          },
        }),
      )
    }

    /**
     * A cycle over paths becomes a full sync when it has the rules file among its paths (its rules
     * are read again first: `reloadFilter`), or when the target root, known to hold the mirror, is
     * gone (deleted while watching): syncing only the changed paths would re-create it holding just
     * those, the rest missing until the next rescan, an hour later by default, silently (QA 10 #2).
     * Asked before each such cycle (one stat of the root); a root that cannot be asked (a server
     * down) is left to the cycle, which reports that itself.
     */
    const asCycle = async (work: Work): Promise<{ work: Work; notice?: SyncEvent }> => {
      if (work.rescan || onlyCounts(work)) return { work }
      // --exclude-if-present: whether a changed path lies in a marked directory (a marker anywhere
      // above it, or one just made or removed) only a listing tells: each cycle is a full sync.
      if (options.excludeIfPresent !== undefined && options.excludeIfPresent.length > 0) {
        return { work: { rescan: true, trigger: work.trigger, paths: new Set() } }
      }
      if (targetRootOwed) return { work: { rescan: true, trigger: 'rescan', paths: new Set() } }
      // The rules file changed: its rules are read again, and applied to the whole tree (QA 10 #5:
      // they were read once, at the start, so a path excluded while watching was still copied).
      if (reloadFilter !== undefined && work.paths.has(filterFile)) {
        return { work: { rescan: true, trigger: 'rescan', paths: new Set() } }
      }
      if (!targetRootSeen) return { work }
      if (await target.rootExists().catch(() => true)) {
        // There, but is it the directory the mirror was written into?
        const was = await targetRootId
        const now =
          was !== undefined && supports.rootIdentity(target)
            ? await target.rootIdentity().catch(() => undefined)
            : undefined
        if (now === undefined || now === was) return { work }
        targetRootId = Promise.resolve(now)
        targetRootOwed = true
        const message = `the target ${target.uri} is another directory than the one synced into (renamed away and made anew, or a symlink re-pointed?): running a full sync to copy the whole tree into it`
        return {
          work: { rescan: true, trigger: 'rescan', paths: new Set() },
          notice: { type: 'notice', ts: Date.now(), code: 'TARGET_ROOT_REPLACED', message },
        }
      }
      targetRootSeen = false
      targetRootId = undefined
      targetRootOwed = true
      const message = `the target ${target.uri} is gone (deleted while watching?): running a full sync to copy the whole tree again, not only the changed paths`
      return {
        work: { rescan: true, trigger: 'rescan', paths: new Set() },
        notice: { type: 'notice', ts: Date.now(), code: 'TARGET_ROOT_MISSING', message },
      }
    }

    const stop$ = merge(abort$, fatal$)
    const work$ = merge(initial$, changeWork$, rescans$, retries$, failuresCounted$).pipe(takeUntil(stop$))
    const cycles$ = work$.pipe(
      runExclusive(
        (work: Work) =>
          // Work that waited behind the cycle that ended the job (a refusal no retry can fix, or the
          // job stopped: a batch of changes, the retry of its refused paths) is not run: it ran as
          // one more cycle, its writes refused again and the stop said twice (CI, continuous-auth-stop
          // under load); after a Ctrl-C, as one more numbered cycle, interrupted.
          defer(() => (total.fatal !== undefined || aborted() ? EMPTY : asCycle(work))).pipe(
            mergeMap((c) => concat(c.notice ? of(c.notice) : EMPTY, runWork(c.work)).pipe(tagCycle(c.work.trigger))),
          ),
        mergeWork,
      ),
      tap({ finalize: () => side$.complete() }),
    )

    // The job's "Deletes suppressed" is that of a failure, which a retry can make good (see below),
    // unless deletes were also held for a reason no retry undoes (--max-delete, an empty source).
    let heldByFailure = false
    let heldOtherwise = false
    return concat(
      merge(side$.pipe(takeUntil(stop$)), cycles$).pipe(
        tap((e) => {
          if (e.type === 'done') {
            total.unchanged += e.summary.unchanged
            total.leftExisting += e.summary.leftExisting ?? 0
            total.leftNewer += e.summary.leftNewer ?? 0
            // Only the initial sync's fatal problem is the job's (it stopped it, unless it was
            // transient: then it is tried again); later ones count as failures (one that no retry
            // can fix ends the job too: see `refusedForGood`).
            if (e.summary.fatal && e.summary.fatal.code !== 'TRANSIENT' && !sawDone) total.fatal = e.summary.fatal
            if (e.summary.interrupted) total.interrupted = true
            // Not one that only counted the watcher's failures: the initial sync may be still to come.
            if (!countingOnly.has(e.summary)) sawDone = true
            // Deletes that a failure held back run with its retry (`again`): once a cycle ends
            // holding nothing back itself and none is still held (`stillHeld`), they have run, and
            // the job's last summary must not say "Deletes suppressed" for them (review 35 #3: it did
            // after every one had run), whatever else is still failing (a busy log's copy, in cycles
            // of its own, holds no delete back). Not for --max-delete or an empty source: no retry runs those.
            if (heldByFailure && !heldOtherwise && e.summary.deletesSuppressed === undefined && stillHeld.size === 0) {
              total.deletesSuppressed = undefined
              heldByFailure = false
            }
            // A full sync that held nothing back ran every delete owed, whatever held them before (an
            // empty source, which the source's files coming back ends: see `emptySourceHeld`).
            if (fullAndClean.has(e.summary) && stillHeld.size === 0) {
              total.deletesSuppressed = undefined
              heldByFailure = false
              heldOtherwise = false
            }
            return
          }
          if (e.type === 'notice' && DELETE_SUPPRESSIONS.has(e.code)) {
            if (e.code === 'DELETES_SUPPRESSED') heldByFailure = true
            else heldOtherwise = true
          }
          if (e.type === 'completed') {
            uncount(e.action.path)
            release(e.action.path)
          }
          // (The AUTH stop after refused transfers names no item: the summary does not count it either.)
          if (e.type === 'failed' && e.error.code !== 'ABORTED' && !isRunStop(e)) count(e)
          total.add(e)
          if (e.type === 'skipped' && e.action?.kind === 'delete') {
            const path = e.action.path
            if (stillHeld.has(path)) total.skipped--
            else stillHeld.add(path)
          }
        }),
        // After the totals, which count what an unreported cycle found unchanged too.
        numberCycles(),
      ),
      jobEnd(total, options.signal),
    )
  })
}
