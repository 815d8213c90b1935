import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  from,
  ignoreElements,
  type Observable,
  retry,
  type SchedulerLike,
  Subject,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs'
import { type Backend, supports, type Watchable } from '../backend/backend.js'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Change } from '../model/change.js'
import type { Entry } from '../model/entry.js'
import { hasUnsafeCharacter, relPathProblem } from '../model/rel-path.js'
import type { NoticeCode } from '../model/sync-event.js'
import { excludedName, listSide } from '../operators/list-side.js'
import { pollChanges } from './poll-changes.js'
import { type PollListing, pollIntervalMs } from './poll-interval-ms.js'
import { endsContinuousJob, retryLaterDelayMs } from './retry-later.js'
import { sourceGoneError } from './source-gone.js'

/** Options of `watchChanges`. */
export interface WatchChangesOptions {
  /**
   * Interval of the polling fallback. [`pollIntervalMs` of the last listing: 2 s for a small tree,
   * longer as the listing grows]
   */
  readonly pollMs?: number
  /** Changes of excluded paths are dropped here, before any work is done for them. */
  readonly filter?: PathFilter
  /** Told once when changes come from polling rather than events (code `POLLING`). */
  readonly onNotice: (code: NoticeCode, message: string) => void
  /**
   * Called once changes made from then on are all reported: when the source's watcher says so
   * (`capabilities.watchReady`), at once for other watchers, after the baseline listing when polling.
   */
  readonly onReady?: () => void
  /**
   * A change whose path is not a safe RelPath (a hostile remote watch stream): dropped and reported.
   * Also the failures of the source while it is retried (a lost or ended event stream, a failed
   * listing): the first of each outage, and any that differs from the last one reported; and the
   * paths a poll's listing could not read (as a one-shot sync reports them), once while they last.
   */
  readonly onError?: (error: SyncError) => void
  /**
   * Called when the event stream, lost to a transient failure or ended, is back (re-subscribed
   * once the source answered again): changes made meanwhile were missed, so the caller rescans.
   * Also when the source's watcher found its root replaced and watches the new one (after a
   * `SOURCE_ROOT_REPLACED` notice).
   */
  readonly onResync?: () => void
  /**
   * Polling: errors of a listing, reported to `onError`, that the next listing no longer has (a
   * directory readable again). A listing without errors also emits the removes held back meanwhile.
   */
  readonly onRecovered?: (errors: readonly SyncError[]) => void
  /**
   * Polling from the start (a source without events): the paths its first listing could not read
   * are not reported, since the job's initial sync, which follows that listing, lists the source
   * too and reports them (QA: each was reported twice in the first cycle). [false]
   */
  readonly initialSyncFollows?: boolean
  /** First wait before a failed listing or event stream is tried again; doubles each time. [1000 ms] */
  readonly retryMs?: number
  /** Longest wait between those tries. [60000 ms] */
  readonly retryMaxMs?: number
  readonly signal?: AbortSignal
  readonly scheduler?: SchedulerLike
}

/**
 * The change hints of a source: its `watch()` events where it has them, else polling (a listing
 * compared with the last). When events are unavailable (the source has none, inotify watches are
 * exhausted: ENOSPC, the watched root is gone) it polls instead and says so once with a `POLLING`
 * notice. Every path is validated (watch events are input, never trusted), and excluded paths are
 * dropped.
 *
 * A source that fails for a while (a server restarting) does not end the stream: an event stream
 * lost to a `TRANSIENT` error, or that ended on its own (a server shutting down gracefully ends
 * its side of the stream), is re-subscribed once the source answers again (`rootExists`, tried
 * with backoff), and `onResync` asks for the rescan that finds what changed meanwhile; a failed
 * poll is listed again with backoff. While polling, a listing that could not read some paths
 * reports them (each once while it lasts, `onRecovered` when it no longer does) and reads nothing
 * as removed: its removes wait for a listing without errors. Failures are reported to `onError`. Only errors no retry can fix (`AUTH`, `USAGE`, …: `endsContinuousJob`) end the
 * stream, with that error. Aborting `signal` completes it.
 */
export function watchChanges(source: Backend, opts: WatchChangesOptions): Observable<Change> {
  const pollMs = opts.pollMs
  const scheduler = opts.scheduler ?? asyncScheduler
  const timing = { baseMs: opts.retryMs ?? 1000, maxMs: opts.retryMaxMs ?? 60_000 }
  const stopping = (): boolean => opts.signal?.aborted ?? false
  // The message last reported, so that an outage says each different failure once, not every try.
  let reported: string | undefined
  /**
   * `retry`'s delay: the wait before try `attempt + 1`, or the error itself when no retry can help.
   * `earlier` failures of the same outage lengthen the wait.
   */
  const retryAfter =
    (earlier = 0) =>
    (err: unknown, attempt: number): Observable<unknown> => {
      const error = asSyncError(err, 'watch')
      if (stopping() || error.code === 'ABORTED' || endsContinuousJob(error.code)) return throwError(() => error)
      if ((attempt === 1 && earlier === 0) || error.message !== reported) {
        reported = error.message
        opts.onError?.(error)
      }
      return timer(retryLaterDelayMs(earlier + attempt, timing), scheduler)
    }
  // Event streams lost in a row: one that fails again as soon as it is back (the server answers,
  // its watch does not) waits longer each time instead of a rescan a second.
  let losses = 0
  const poll = (why: string, quietFirst = false, onBack?: () => void): Observable<Change> =>
    defer(() => {
      const polling = (ms: number): string => `${why}: polling ${source.uri} every ${seconds(ms)} instead`
      // A fixed interval is told at once; the default one once the first listing says how large the
      // source is, before the job's initial sync starts (at `onReady`).
      let untold = true
      if (pollMs !== undefined) {
        opts.onNotice('POLLING', polling(pollMs))
        untold = false
      }
      // The errors of the last listing, so that one that lasts is reported once, not every poll.
      let failing = new Map<string, SyncError>()
      let quiet = quietFirst
      const listed = (errors: readonly SyncError[], size: PollListing): void => {
        if (untold) {
          untold = false
          opts.onNotice(
            'POLLING',
            `${polling(pollIntervalMs(size))} (${size.entries} ${size.entries === 1 ? 'entry' : 'entries'} listed in ${seconds(size.tookMs)}; the interval follows the listing's size, --poll-interval sets it)`,
          )
        }
        const now = new Map<string, SyncError>()
        for (const error of errors) {
          const key = `${error.code} ${error.path ?? ''} ${error.message}`
          if (!quiet && !failing.has(key) && !now.has(key)) opts.onError?.(error)
          now.set(key, error)
        }
        quiet = false
        const over = [...failing].filter(([key]) => !now.has(key)).map(([, error]) => error)
        failing = now
        if (over.length > 0) opts.onRecovered?.(over)
      }
      // A root that is gone lists as empty on some backends (a local directory): an empty listing
      // fails here when the root is gone, so the job reports it (a failed cycle, the UI's count,
      // --webhook) and keeps retrying, instead of looking healthy while nothing is synced (QA); once
      // it is back, a rescan finds whatever it holds then. Asked only of an empty listing: one that
      // found entries proves the root is there (polling S3, a request saved every poll).
      let rootWasGone = false
      const listing = async function* (onError: (error: SyncError) => void): AsyncGenerator<Entry> {
        let found = false
        for await (const entry of listSide(source, {
          onError,
          ...(opts.filter ? { filter: opts.filter } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
        })) {
          found = true
          yield entry
        }
        if (!found && !(await source.rootExists())) {
          rootWasGone = true
          throw sourceGoneError(source.uri)
        }
        // Polled only while the watched root was gone: it is back, so its events take over again
        // (they ask for the rescan that finds what it holds).
        if (onBack) {
          onBack()
          return
        }
        if (rootWasGone) {
          rootWasGone = false
          opts.onResync?.()
        }
      }
      return pollChanges(listing, {
        intervalMs: pollMs ?? pollIntervalMs,
        scheduler,
        retryDelay: retryAfter(),
        onListed: listed,
        impliedDirs: !source.capabilities.emptyDirs,
        ...(opts.onReady ? { onReady: opts.onReady } : {}),
      })
    })
  const announcesReady = (): boolean => source.capabilities.watchReady === true
  /**
   * The source's events; `again` after an outage, when ready means "rescan" (`onResync`) rather
   * than "take the initial snapshot" (`onReady`). Lost to a transient failure or ended on their
   * own, they come back; polling takes over only when they failed for good (watches exhausted, the
   * root gone); when the job is stopping, nothing follows.
   */
  const events = (watchable: Backend & Watchable, again: boolean): Observable<Change> =>
    defer(() => {
      let unavailable: string | undefined
      let rootGone = false
      let lost: SyncError | undefined
      let delivered = false
      const since = scheduler.now()
      const ready = again ? opts.onResync : opts.onReady
      // The source's root replaced under the watcher, which watches the new one: said, and synced in full.
      const replaced = (reason: string): void => {
        opts.onNotice('SOURCE_ROOT_REPLACED', `${reason}: watching it afresh and running a full sync`)
        opts.onResync?.()
      }
      const events$ = watchable
        .watch({
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(announcesReady() && ready ? { onReady: ready } : {}),
          onResync: replaced,
        })
        .pipe(
          tap(() => {
            delivered = true
          }),
          catchError((err: unknown) => {
            const error = asSyncError(err, 'watch')
            if (endsContinuousJob(error.code)) return throwError(() => error)
            if (error.retryable) lost = error
            else {
              unavailable = `change events unavailable (${error.message})`
              rootGone = error.code === 'NOT_FOUND'
            }
            return EMPTY
          }),
        )
      if (!announcesReady()) ready?.()
      return concat(
        events$,
        defer(() => {
          if (stopping()) return EMPTY
          // The watched root gone: polled until it is back, then watched again. Polling for good,
          // the job listed the whole tree every few seconds from then on, and a change took that
          // long to be seen (QA 25c #4). A watch that fails so again at once waits longer each time.
          if (unavailable !== undefined && rootGone) {
            if (delivered || scheduler.now() - since >= timing.maxMs) losses = 0
            const back$ = new Subject<void>()
            const wait =
              losses++ === 0 ? EMPTY : timer(retryLaterDelayMs(losses, timing), scheduler).pipe(ignoreElements())
            return concat(
              poll(unavailable, false, () => back$.next()).pipe(takeUntil(back$)),
              wait,
              defer(() => (stopping() ? EMPTY : events(watchable, true))),
            )
          }
          if (unavailable !== undefined) return poll(unavailable)
          // Ended though nobody stopped it: as if lost (a stream that ends again at once, as a
          // failing one, waits longer each time; the wait and the rescan after it are the same).
          lost ??= new SyncError('TRANSIENT', `the change events of ${source.uri} ended`, {
            op: 'watch',
            hint: `Watching ${source.uri} again once it answers; a rescan then finds what changed meanwhile.`,
          })
          if (delivered || scheduler.now() - since >= timing.maxMs) losses = 0
          return concat(untilAnswering(lost, losses++), events(watchable, true))
        }),
      )
    })
  /** Completes once the source answers again, `lost` counting as the first failed try. */
  const untilAnswering = (lost: SyncError, earlier: number): Observable<never> => {
    let tries = 0
    return defer(() => (tries++ === 0 ? throwError(() => lost) : from(source.rootExists()))).pipe(
      retry({ delay: retryAfter(earlier) }),
      ignoreElements(),
    )
  }
  const changes$ = defer((): Observable<Change> => {
    if (!supports.watch(source)) return poll(`${source.uri} offers no change events`, opts.initialSyncFollows === true)
    if (source.capabilities.watch === 'poll') {
      opts.onNotice('POLLING', `${source.uri} learns of changes by polling, so they may show up late`)
    }
    return events(source, false)
  })
  const excluded = opts.filter && !opts.filter.empty ? excludedName(opts.filter) : undefined
  const fromSafePath = (c: Change): boolean => {
    const bad = [c.path, ...(c.from !== undefined ? [c.from] : [])].find((p) => relPathProblem(p) !== undefined)
    if (bad === undefined) return true
    if (hasUnsafeCharacter(bad)) {
      // A name made with a control character: reported now, as the next listing would (unless excluded).
      if (!excluded?.(bad)) {
        opts.onError?.(
          new SyncError('INVALID_PATH', `unsafe name skipped: ${relPathProblem(bad)}`, {
            op: 'watch',
            path: String(bad),
            hint: 'Rename the file, or exclude it with --exclude.',
          }),
        )
      }
      return false
    }
    opts.onError?.(
      new SyncError('INVALID_PATH', `unsafe name in a change event ignored: ${relPathProblem(bad)}`, {
        op: 'watch',
        path: String(bad),
        hint: `The ${source.uri} backend sent a path outside its root: please report it.`,
      }),
    )
    return false
  }
  // A change does not say whether its path is a file or a directory: dropped only when excluded as
  // both (QA: with --include '*.md' every directory's change was dropped as a file's, so a renamed
  // directory's old copy stayed until the rescan, and new directories lost their mode and mtime).
  const included = (c: Change): boolean =>
    !opts.filter ||
    opts.filter.empty ||
    !opts.filter.isExcluded(c.path, 'file') ||
    !opts.filter.isExcluded(c.path, 'dir')
  return changes$.pipe(filter(fromSafePath), filter(included))
}

/** `ms` in seconds for a message: `2 s`, `2.5 s`, `0.03 s`. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toPrecision(ms < 1000 ? 1 : 3))} s`
}
