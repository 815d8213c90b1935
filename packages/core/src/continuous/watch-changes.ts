import { catchError, concat, defer, EMPTY, filter, type Observable, type SchedulerLike } from 'rxjs'
import { type Backend, supports } from '../backend/backend.js'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Change } from '../model/change.js'
import { relPathProblem } from '../model/rel-path.js'
import type { NoticeCode } from '../model/sync-event.js'
import { listSide } from '../operators/list-side.js'
import { pollChanges } from './poll-changes.js'

/** Options of `watchChanges`. */
export interface WatchChangesOptions {
  /** Interval of the polling fallback. [2000 ms] */
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
  /** A change whose path is not a safe RelPath (a hostile remote watch stream): dropped and reported. */
  readonly onError?: (error: SyncError) => void
  readonly signal?: AbortSignal
  readonly scheduler?: SchedulerLike
}

/**
 * The change hints of a source: its `watch()` events where it has them, else polling (a listing
 * compared with the last). When the event stream fails (inotify watches exhausted: ENOSPC, a remote
 * stream lost) or ends, it falls back to polling and says so once with a `POLLING` notice. Every
 * path is validated (watch events are input, never trusted), and excluded paths are dropped.
 */
export function watchChanges(source: Backend, opts: WatchChangesOptions): Observable<Change> {
  const pollMs = opts.pollMs ?? 2000
  const poll = (why: string): Observable<Change> =>
    defer(() => {
      opts.onNotice('POLLING', `${why}: polling ${source.uri} every ${pollMs / 1000} s instead`)
      return pollChanges(
        () =>
          listSide(source, {
            // A listing error is not a change; the periodic rescan reports it.
            onError: () => {},
            ...(opts.filter ? { filter: opts.filter } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
          }),
        {
          intervalMs: pollMs,
          ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
          ...(opts.onReady ? { onReady: opts.onReady } : {}),
        },
      )
    })
  const changes$ = defer((): Observable<Change> => {
    if (!supports.watch(source)) return poll(`${source.uri} offers no change events`)
    if (source.capabilities.watch === 'poll') {
      opts.onNotice('POLLING', `${source.uri} learns of changes by polling, so they may show up late`)
    }
    // Whichever way the events end, polling takes over, unless the job is stopping.
    let why = 'the change events stopped'
    const announcesReady = source.capabilities.watchReady === true
    const events$ = source
      .watch({
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(announcesReady && opts.onReady ? { onReady: opts.onReady } : {}),
      })
      .pipe(
        catchError((err: unknown) => {
          why = `change events unavailable (${asSyncError(err, 'watch').message})`
          return EMPTY
        }),
      )
    if (!announcesReady) opts.onReady?.()
    return concat(
      events$,
      defer(() => (opts.signal?.aborted ? EMPTY : poll(why))),
    )
  })
  const fromSafePath = (c: Change): boolean => {
    const bad = [c.path, ...(c.from !== undefined ? [c.from] : [])].find((p) => relPathProblem(p) !== undefined)
    if (bad === undefined) return true
    opts.onError?.(
      new SyncError('INVALID_PATH', `unsafe name in a change event ignored: ${relPathProblem(bad)}`, {
        op: 'watch',
        path: String(bad),
        hint: `The ${source.uri} backend sent a path outside its root: please report it.`,
      }),
    )
    return false
  }
  const included = (c: Change): boolean => !opts.filter || opts.filter.empty || !opts.filter.isExcluded(c.path, 'file')
  return changes$.pipe(filter(fromSafePath), filter(included))
}
