import type { RelPath } from '../model/rel-path.js'
import type { StateStore } from './state-store.js'

/**
 * Where a `write` keeps what lets a later run of the same job resume it where a crash or kill
 * stopped it (S3: the multipart upload's id), one record per target path. A backend never trusts
 * a record alone: it checks the content it resumes (S3: each part's MD5 against its listed ETag).
 */
export interface ResumeRecord {
  /** The record a previous run left for this path, if any (whatever `save` was given). */
  load(): Promise<unknown>
  /** Saves the record; resolves once the store holds it (a crash after that keeps it). */
  save(record: unknown): Promise<void>
  /** Drops the record (the write completed, or gave up its partial work). */
  clear(): Promise<void>
  /** Says that the write resumed; `message` tells the user how much was not sent again. */
  resumed(message: string): void
  /** Says that an interrupted write kept its partial work (and this record) for the next run; `message` says how much. */
  kept(message: string): void
}

/**
 * A `ResumeRecord` of `path` in `store`'s job-level meta. Errors of the store are swallowed: a
 * record that cannot be read or kept means the write is not resumed, never that it fails.
 */
export function resumeRecordOf(
  store: Pick<StateStore, 'getMeta' | 'setMeta' | 'deleteMeta'>,
  path: RelPath,
  onResumed: (message: string) => void,
  onKept: (message: string) => void = () => {},
): ResumeRecord {
  // Namespaced per target path: a job has one target.
  const key = `resume/${path}`
  return {
    load: () => store.getMeta(key).catch(() => undefined),
    // A failed save is thrown: the writer then knows the upload is not resumable (and goes on).
    save: (record) => store.setMeta(key, record),
    clear: () => store.deleteMeta(key).catch(() => undefined),
    resumed: onResumed,
    kept: onKept,
  }
}
