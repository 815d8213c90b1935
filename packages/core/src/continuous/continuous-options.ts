import type { Observable } from 'rxjs'
import type { SyncOptions } from '../engine/sync-options.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Change } from '../model/change.js'
import type { RelPath } from '../model/rel-path.js'

/** Options of `continuousSync`: those of `sync`, and the timing of the continuous pipeline. */
export interface ContinuousOptions extends SyncOptions {
  /** A path is looked at once no change for it arrived for this long (`--debounce`). [100 ms] */
  readonly debounceMs?: number
  /** A file ships once its size and mtime stayed the same for this long. [debounceMs] */
  readonly stabilityMs?: number
  /** How long a remove waits for the upsert that makes it a rename (`move`). [250 ms] */
  readonly moveHoldMs?: number
  /** A batch of changed paths closes once no path came for this long… [50 ms] */
  readonly batchQuietMs?: number
  /** …or this long after its first path, however busy the source… [2000 ms] */
  readonly batchMaxWaitMs?: number
  /** …or once it holds this many paths. [10000] */
  readonly maxBatch?: number
  /** Full rescan (a complete `sync`) this often, to catch what events missed (`--rescan`); 0 = never. [1 h] */
  readonly rescanMs?: number
  /**
   * A full rescan each time this emits, whatever `rescanMs` says: the CLI's on SIGCONT, as a watch
   * stopped (Ctrl-Z, `kill -STOP`) may have lost change events meanwhile (the kernel queues a
   * bounded number and drops the rest unsaid). [none]
   */
  readonly rescanRequests?: Observable<unknown>
  /**
   * Interval of polling where change events are unavailable (`--poll-interval`). [grows with the
   * last listing: `pollIntervalMs`, 2 s for a small tree]
   */
  readonly pollMs?: number
  /**
   * A path whose transfer failed for a reason that may pass (`TRANSIENT`, `PERMISSION`, `CONFLICT`,
   * `NO_SPACE`, `CHECKSUM`), and a rescan or an event stream that failed transiently, are tried again
   * after this, then twice as long each time up to `retryLaterMaxMs`. [1000 ms]
   */
  readonly retryLaterMs?: number
  /** Longest wait between tries of a failed path, rescan or event stream. [60000 ms] */
  readonly retryLaterMaxMs?: number
  /** Pair renames into `move`s on a target that can move. [true] */
  readonly detectMoves?: boolean
  /**
   * Reads the filter's rules again (the source's `.syncflowignore`): before each rescan after the
   * initial sync, and so when `filterFile` changes, which asks for one. Returns the filter to use
   * from then on, or `undefined` when the rules are as they were; one that throws leaves the rules
   * in use as they are, its failure reported on `filterFile`. [the filter never changes]
   */
  readonly reloadFilter?: () => Promise<PathFilter | undefined>
  /**
   * Asked before each full sync after the first (the source's or the target's root replaced, the
   * rules changed, the periodic rescan): a rejection ends the job, its error the job's fatal one.
   * The CLI checks again there that neither side is inside the other, as it did at the start: a
   * symlinked root re-pointed into the other side while watching would have its full sync copy
   * into itself or delete its own source. [nothing asked]
   */
  readonly checkRoots?: () => Promise<void>
  /** The source file whose change makes the job read the rules again (`reloadFilter`), in a full sync. [.syncflowignore] */
  readonly filterFile?: RelPath
  /** Start with a full sync (off only for tests that drive cycles alone). [true] */
  readonly initialSync?: boolean
  /**
   * Change hints to use instead of watching the source (tests; custom watchers). When this stream
   * completes, the job ends after the work it asked for.
   */
  readonly changes?: Observable<Change>
}
