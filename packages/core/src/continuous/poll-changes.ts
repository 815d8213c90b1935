import {
  asyncScheduler,
  defer,
  from,
  map,
  mergeMap,
  type Observable,
  type ObservableInput,
  reduce,
  repeat,
  retry,
  type SchedulerLike,
  timer,
} from 'rxjs'
import type { SyncError } from '../errors/sync-error.js'
import type { Change } from '../model/change.js'
import type { Entry } from '../model/entry.js'
import { listingErrorHoldsDeletes } from '../operators/guard-deletes.js'
import type { PollListing } from './poll-interval-ms.js'

/** Options of `pollChanges`. */
export interface PollOptions {
  /**
   * Time between the end of one listing and the start of the next: a number, or what a function
   * of the last listing (its entries and time) returns. [2000 ms]
   */
  readonly intervalMs?: number | ((last: PollListing) => number)
  readonly scheduler?: SchedulerLike
  /** Called once the first listing (the baseline) is taken: every later change will be found. */
  readonly onReady?: () => void
  /**
   * Called after each listing taken whole (the baseline included) with the errors it reported for
   * the parts it could not list (unreadable or vanished directories); none for a clean listing.
   * `listing` says how many entries it gave and how long it took.
   */
  readonly onListed?: (errors: readonly SyncError[], listing: PollListing) => void
  /**
   * A listing that failed is taken again once what this returns emits (`attempt` counts the
   * failures in a row from 1; an error from it ends the stream), and compared with the last good
   * one. Without it, a failed listing ends the stream with its error.
   */
  readonly retryDelay?: (error: unknown, attempt: number) => ObservableInput<unknown>
  /**
   * The listing has no directories (S3: a prefix is one wherever something is listed below it):
   * a directory nothing is listed below any more is reported removed too. Off for listings that
   * give their directories (they are compared as entries), which then pay nothing for it. [false]
   */
  readonly impliedDirs?: boolean
}

/** What tells two listings of a path apart. */
function fingerprint(e: Entry): string {
  return `${e.kind}:${e.size}:${e.mtimeMs}:${e.version ?? ''}:${e.linkTarget ?? ''}`
}

/**
 * Changes found by listing again and again (where no watch events exist: network filesystems,
 * exhausted inotify watches, a backend without `watch`): each listing is compared with the one
 * before and every added, changed or vanished path is emitted. The first listing is the baseline
 * and emits nothing. Listings never overlap. A failed listing is dropped (retried with `retryDelay`),
 * never compared, so a side that cannot be listed never reads as emptied. A listing that could not
 * read some parts (`list` passes them to its `onError`) reads nothing as removed, as a one-shot
 * sync with a listing error deletes nothing: a path missing from it is kept from the listing
 * before, and found gone, if it is, by the next listing without errors (a name skipped for an unsafe
 * character is no such error: `listingErrorHoldsDeletes`). Memory: one fingerprint per path.
 */
export function pollChanges(
  list: (onError: (error: SyncError) => void) => ObservableInput<Entry>,
  opts: PollOptions = {},
): Observable<Change> {
  const { intervalMs = 2000, scheduler = asyncScheduler } = opts
  return defer(() => {
    let previous: Map<string, string> | undefined
    let previousDirs: Set<string> = new Set()
    // The last listing taken whole: the wait before the next one may depend on it.
    let last: PollListing = { entries: 0, tookMs: 0 }
    interface Listing {
      readonly now: Map<string, string>
      readonly errors: readonly SyncError[]
      readonly size: PollListing
    }
    const snapshot = (): Observable<Listing> =>
      defer(() => {
        const errors: SyncError[] = []
        const start = scheduler.now()
        return from(list((error) => errors.push(error))).pipe(
          reduce((m, e) => m.set(e.path, fingerprint(e)), new Map<string, string>()),
          map((now): Listing => ({ now, errors, size: { entries: now.size, tookMs: scheduler.now() - start } })),
        )
      })
    const retried = snapshot()
    const wait = (): number => (typeof intervalMs === 'number' ? intervalMs : intervalMs(last))
    return (opts.retryDelay ? retried.pipe(retry({ delay: opts.retryDelay, resetOnSuccess: true })) : retried).pipe(
      repeat({ delay: () => timer(wait(), scheduler) }),
      mergeMap(({ now, errors, size }): Change[] => {
        last = size
        const before = previous
        // Not listed, maybe only unreadable: not gone until a listing without errors says so.
        if (before !== undefined && errors.some(listingErrorHoldsDeletes))
          for (const [path, fp] of before) if (!now.has(path)) now.set(path, fp)
        previous = now
        const beforeDirs = previousDirs
        const dirs = opts.impliedDirs ? impliedDirs(now.keys()) : previousDirs
        previousDirs = dirs
        opts.onListed?.(errors, size)
        if (before === undefined) {
          opts.onReady?.()
          return []
        }
        const changes: Change[] = []
        for (const [path, fp] of now) {
          if (before.get(path) !== fp) changes.push({ type: 'upsert', path: path as Change['path'] })
        }
        for (const path of before.keys()) {
          if (!now.has(path)) changes.push({ type: 'remove', path: path as Change['path'] })
        }
        // A directory nothing is listed below any more is gone too, so that the cycle removes it
        // from the mirror now, not at the next full pass (QA 16 F4).
        for (const dir of beforeDirs) {
          if (!dirs.has(dir) && !before.has(dir) && !now.has(dir))
            changes.push({ type: 'remove', path: dir as Change['path'] })
        }
        return changes
      }),
    )
  })
}

/** The directories the paths lie in (each ancestor once). Memory: one per directory. */
function impliedDirs(paths: Iterable<string>): Set<string> {
  const dirs = new Set<string>()
  for (const p of paths) {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      const dir = p.slice(0, i)
      // Its own ancestors came with it.
      if (dirs.has(dir)) break
      dirs.add(dir)
    }
  }
  return dirs
}
