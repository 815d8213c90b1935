import type { RelPath } from '../model/rel-path.js'
import type { LeaseOptions } from './store-lease.js'

/** What a side looked like at the last successful transfer of a path. */
export interface Fingerprint {
  readonly size: number
  readonly mtimeMs: number
  /** The backend's change token (ETag, inode+ctime…), when it has one. */
  readonly version?: string
  /** A content digest, when one was known. */
  readonly hash?: string
  /** Permission bits, where the side keeps them: a target that lists none still says what it was given. */
  readonly mode?: number
  /**
   * What the path was, where not a file (absent = a file: every record of a one-way run). Two-way
   * sync records directories too, so that one gone from a side is known deleted there, not new on
   * the other.
   */
  readonly kind?: 'dir' | 'symlink'
}

/** The state of one path of a job: both sides as they were when last in sync. */
export interface StateRecord {
  readonly source: Fingerprint
  readonly target: Fingerprint
  /** ms since epoch. */
  readonly syncedAt: number
}

/**
 * Per-job state. Reads and writes are batched: the engine never makes one round trip per file
 * on the hot path. Implementations must be safe against a crash between batches (the next run
 * re-verifies what it finds, never re-trusts it blindly).
 */
export interface StateStore {
  /** Records for `paths`, in the same order (`undefined` where none). */
  getMany(paths: readonly RelPath[]): Promise<(StateRecord | undefined)[]>
  /** Writes records (one transaction per batch where the store has transactions). */
  setMany(records: readonly (readonly [RelPath, StateRecord])[]): Promise<void>
  /** Deletes records; missing ones are ignored. */
  deleteMany(paths: readonly RelPath[]): Promise<void>
  /** Job-level values (e.g. multipart upload ids, last run time). */
  getMeta<T = unknown>(key: string): Promise<T | undefined>
  setMeta(key: string, value: unknown): Promise<void>
  deleteMeta(key: string): Promise<void>
  /**
   * Takes the job's lock in the store itself, where several hosts can share the store (Redis,
   * PostgreSQL): the lock file beside it only sees the runs of one host. Held until `close()`, which
   * saves everything before releasing it. Absent on stores that only one host can open.
   * @throws SyncError `LOCKED` when another run holds it.
   */
  lockJob?(opts?: LeaseOptions): Promise<void>
  /** Flushes and closes (and releases the lock `lockJob` took). */
  close(): Promise<void>
}
