import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  fromEvent,
  interval,
  map,
  merge,
  type Observable,
  of,
  ReplaySubject,
  Subject,
  take,
  takeUntil,
  tap,
} from 'rxjs'
import type { Backend } from '../backend/backend.js'
import { SummaryBuilder } from '../engine/summary-builder.js'
import { sync } from '../engine/sync.js'
import { asSyncError } from '../errors/sync-error.js'
import type { Action } from '../model/action.js'
import type { Change } from '../model/change.js'
import type { RelPath } from '../model/rel-path.js'
import type { SyncEvent } from '../model/sync-event.js'
import { mapConcurrent } from '../util/map-concurrent.js'
import { awaitStable } from './await-stable.js'
import { batchChanges } from './batch-changes.js'
import { coalesceChanges } from './coalesce-changes.js'
import type { ContinuousOptions } from './continuous-options.js'
import { holdRemoves } from './hold-removes.js'
import { runExclusive } from './run-exclusive.js'
import { syncPaths } from './sync-paths.js'
import { watchChanges } from './watch-changes.js'

/** One unit of work: a full rescan, or a cycle over changed paths (a rescan covers any paths). */
interface Work {
  readonly rescan: boolean
  readonly paths: ReadonlySet<RelPath>
}

const mergeWork = (a: Work, b: Work): Work =>
  a.rescan || b.rescan
    ? { rescan: true, paths: new Set() }
    : { rescan: false, paths: new Set([...a.paths, ...b.paths]) }

/** Paths stated at once by the re-check after a cycle. */
const RECHECK_CONCURRENCY = 16

/** Most files remembered as shipped (about 100 bytes each). */
const SHIPPED_MAX = 200_000

/** The summary `mode` of the whole continuous job's last `done` (cycle `done`s carry the sync mode). */
export const CONTINUOUS_MODE = 'watch'

/**
 * Continuous one-way sync (`syncflow watch`): a full sync first, then the source's change hints
 * (its `watch()` events, or polling) are coalesced per path (debounce), re-stated until stable,
 * batched, and each batch runs as one cycle through the one-shot engine (`syncPaths`), renames
 * becoming moves; a full rescan runs every `rescanMs`. Cycles never overlap: work arriving during
 * a cycle becomes the next one. Each cycle ends with its own `done`; the job ends, when
 * `options.signal` aborts (the running cycle stops as a sync does, state saved), with a last
 * `done` whose summary has mode `watch` and totals over all cycles.
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
    const hintsEnded$ = new Subject<void>()
    const ready$ = new ReplaySubject<void>(1)
    const aborted = (): boolean => options.signal?.aborted ?? false
    const abort$ = options.signal ? (aborted() ? of(0) : fromEvent(options.signal, 'abort')) : EMPTY
    const { debounceMs: _d, changes: _c, initialSync: _i, ...syncOptions } = options

    const hints$: Observable<Change> = (
      options.changes ??
      watchChanges(source, {
        onNotice: (code, message) => side$.next({ type: 'notice', ts: Date.now(), code, message }),
        onReady: () => ready$.next(),
        onError: (error) =>
          side$.next({ type: 'failed', ts: Date.now(), path: error.path ?? '', error: error.toJSON(), stage: 'list' }),
        ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
        ...(options.filter ? { filter: options.filter } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        scheduler,
      })
    ).pipe(
      catchError((err: unknown) => {
        const error = asSyncError(err, 'watch')
        side$.next({ type: 'failed', ts: Date.now(), path: error.path ?? '', error: error.toJSON(), stage: 'list' })
        return EMPTY
      }),
      tap({ complete: () => hintsEnded$.next() }),
    )

    const changeWork$: Observable<Work> = merge(hints$, feedback$.pipe(takeUntil(hintsEnded$))).pipe(
      coalesceChanges({ debounceMs, scheduler }),
      awaitStable({
        // An unreadable path goes on as "gone": the cycle states it again and leaves it alone.
        stat: (path) => source.stat(path).catch(() => undefined),
        windowMs: stabilityMs,
        scheduler,
      }),
      // Already shipped as it is now (the event of a file a cycle took with its new directory, or
      // one that arrived while it was being copied): nothing to do, so no cycle for it.
      filter((c) => {
        const fp = c.entry?.kind === 'file' ? shipped.get(c.path) : undefined
        return !(fp && c.entry && fp.size === c.entry.size && fp.mtimeMs === c.entry.mtimeMs)
      }),
      holdRemoves({ ...(options.moveHoldMs !== undefined ? { holdMs: options.moveHoldMs } : {}), scheduler }),
      batchChanges({
        ...(options.batchQuietMs !== undefined ? { quietMs: options.batchQuietMs } : {}),
        ...(options.batchMaxWaitMs !== undefined ? { maxWaitMs: options.batchMaxWaitMs } : {}),
        ...(options.maxBatch !== undefined ? { maxSize: options.maxBatch } : {}),
        scheduler,
      }),
      map((batch): Work => ({ rescan: false, paths: new Set(batch.map((c) => c.path)) })),
    )
    const rescanMs = options.rescanMs ?? 3_600_000
    const rescans$: Observable<Work> = merge(rescanMs > 0 ? interval(rescanMs, scheduler) : EMPTY, rescanRequest$).pipe(
      takeUntil(hintsEnded$),
      map((): Work => ({ rescan: true, paths: new Set() })),
    )
    // The initial sync waits until the watcher reports every change (a change made while it
    // was still starting would be in neither the snapshot nor the events); given hints are live at once.
    const initial$: Observable<Work> = !(options.initialSync ?? true)
      ? EMPTY
      : (options.changes ? of(undefined) : ready$.pipe(take(1))).pipe(
          map((): Work => ({ rescan: true, paths: new Set() })),
        )
    let first = options.initialSync ?? true
    let sawDone = !first

    // What the last cycles shipped (size and mtime of the source file), to drop the late events
    // of files already done. Bounded: forgotten wholesale when full (events then just cost a stat).
    // Not with --checksum, where equal size and mtime do not mean equal content.
    const shipped = new Map<RelPath, { readonly size: number; readonly mtimeMs: number }>()
    const remember = (e: SyncEvent): void => {
      if (e.type !== 'completed' || options.compare === 'checksum' || e.dryRun) return
      const a = e.action
      if ((a.kind === 'copy' || a.kind === 'update' || a.kind === 'move') && a.source?.kind === 'file') {
        if (shipped.size >= SHIPPED_MAX) shipped.clear()
        shipped.set(a.path, { size: a.source.size, mtimeMs: a.source.mtimeMs })
      }
      if (a.kind === 'delete') shipped.delete(a.path)
      if (a.from !== undefined) shipped.delete(a.from)
    }

    const runWork = (work: Work): Observable<SyncEvent> => {
      const isFirst = first
      first = false
      if (work.rescan) {
        return sync(source, target, syncOptions).pipe(
          tap((e) => {
            remember(e)
            // A job that cannot even start (missing source, credentials, lock) stops here.
            if (isFirst && e.type === 'done' && e.summary.fatal) fatal$.next()
          }),
        )
      }
      const transferred: Action[] = []
      let dirStuck = false
      const cycle$ = syncPaths(source, target, [...work.paths], {
        ...syncOptions,
        settled: (e) => e.kind !== 'file' || scheduler.now() - e.mtimeMs >= stabilityMs,
        onUnsettled: (paths) => {
          for (const path of paths) feedback$.next({ type: 'upsert', path })
        },
      }).pipe(
        tap((e) => {
          remember(e)
          if (e.type === 'completed' && (e.action.kind === 'copy' || e.action.kind === 'update')) {
            transferred.push(e.action)
          }
          if (e.type === 'skipped' && e.action?.kind === 'delete' && e.action.target?.kind === 'dir') dirStuck = true
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
        // Contents of a removed directory that no event named: a full rescan deletes them.
        if (dirStuck) rescanRequest$.next()
      }
      return cycle$.pipe(
        tap({
          complete: () => {
            recheck().catch(() => {})
          },
        }),
      )
    }

    const stop$ = merge(abort$, fatal$)
    const work$ = merge(initial$, changeWork$, rescans$).pipe(takeUntil(stop$))
    const cycles$ = work$.pipe(runExclusive(runWork, mergeWork), tap({ finalize: () => side$.complete() }))

    return concat(
      merge(side$.pipe(takeUntil(stop$)), cycles$).pipe(
        tap((e) => {
          if (e.type === 'done') {
            total.unchanged += e.summary.unchanged
            // Only the initial sync's fatal problem is the job's (it stopped it); later ones count as failures.
            if (e.summary.fatal && !sawDone) total.fatal = e.summary.fatal
            if (e.summary.interrupted) total.interrupted = true
            sawDone = true
          } else {
            total.add(e)
          }
        }),
      ),
      defer(() => {
        if (aborted()) total.interrupted = true
        return of<SyncEvent>({ type: 'done', ts: Date.now(), summary: total.build() })
      }),
    )
  })
}
