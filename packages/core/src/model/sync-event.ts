import type { SerializedError, SyncErrorCode } from '../errors/sync-error.js'
import type { Action, ActionKind } from './action.js'
import type { Entry } from './entry.js'

/**
 * What the engine emits. The TUI, `--json` NDJSON output, webhooks and metrics all consume this
 * one stream. Keys listed here are a stable surface (see CONTRIBUTING.md); `ts` is ms since epoch.
 */
export type SyncEvent =
  | PlannedEvent
  | StartedEvent
  | ProgressEvent
  | CompletedEvent
  | SkippedEvent
  | RemovedEvent
  | FailedEvent
  | NoticeEvent
  | StatsEvent
  | DoneEvent

/** An action was planned (emitted before that action starts; planning and execution overlap). */
export interface PlannedEvent {
  readonly type: 'planned'
  readonly ts: number
  readonly action: Action
}

/** Execution of an action began. */
export interface StartedEvent {
  readonly type: 'started'
  readonly ts: number
  readonly action: Action
}

/** Bytes written so far for a transfer. */
export interface ProgressEvent {
  readonly type: 'progress'
  readonly ts: number
  readonly path: string
  readonly bytes: number
  readonly total: number
}

/** An action finished successfully (or, in a dry run, would have been executed). */
export interface CompletedEvent {
  readonly type: 'completed'
  readonly ts: number
  readonly action: Action
  /**
   * Bytes moved over the wire/disk for this action (0 for delete, touch, mkdir). A delta update
   * counts its literal data and instructions, not the file's size (that is `result.size`).
   */
  readonly bytes: number
  readonly durationMs: number
  readonly dryRun?: boolean
  /** The target entry after the action (what the state store records). */
  readonly result?: Entry
  /** The target's old file was kept in the backup directory first (`SyncOptions.backupTo`). */
  readonly kept?: true
  /** The new file was hard-linked from a `SyncOptions.linkDest` directory holding it unchanged: no bytes copied. */
  readonly linked?: true
  /**
   * A move within one file system (`removeSourceFiles`): the new file is the source's own, linked to
   * its new name (no bytes copied); its source name goes with its batch (a `removed` event, `renamed`).
   */
  readonly moved?: true
}

/**
 * `removeSourceFiles` (rsync's `--remove-source-files`, rclone's `move`): a source file the target
 * now holds (copied, or found there unchanged) was deleted from the source (in a dry run: would be).
 */
export interface RemovedEvent {
  readonly type: 'removed'
  readonly ts: number
  readonly path: string
  readonly side: 'source'
  readonly dryRun?: boolean
  /** A directory left empty, removed too (`removeEmptyDirs`); not counted in `sourceRemoved`. */
  readonly dir?: true
  /** The source name of a file the target holds by a link to it (completed with `moved`): the move is a rename now. */
  readonly renamed?: true
}

/** An item that was deliberately not acted on (bad name, guard, policy). */
export interface SkippedEvent {
  readonly type: 'skipped'
  readonly ts: number
  readonly path: string
  readonly reason: string
  readonly action?: Action
}

/** An action, or a listing of part of a tree, failed. */
export interface FailedEvent {
  readonly type: 'failed'
  readonly ts: number
  readonly path: string
  readonly error: SerializedError
  readonly action?: Action
  /** Which stage failed. */
  readonly stage: 'list' | 'plan' | 'transfer' | 'delete' | 'record' | 'remove-source'
  /**
   * For a listing failure: the side whose listing (or, in a continuous run, watching) it was, when
   * known. In a two-way run (`bisync`) `source` is side A and `target` side B (the CLI says `on A`).
   */
  readonly side?: 'source' | 'target'
}

/** Something the user should know: a fallback to a weaker method, suppressed deletes, … */
export interface NoticeEvent {
  readonly type: 'notice'
  readonly ts: number
  readonly code: NoticeCode
  readonly message: string
  readonly path?: string
}

/** Notice codes (stable). */
export type NoticeCode =
  | 'DELETES_SUPPRESSED'
  | 'MAX_DELETE'
  | 'EMPTY_SOURCE'
  | 'NO_COMMON_HASH'
  | 'MTIME_UNSUPPORTED'
  | 'STALE_TEMP_REMOVED'
  | 'POLLING'
  | 'CASE_COLLISION'
  | 'NORMALIZATION_COLLISION'
  | 'STATE_DISABLED'
  | 'INTERRUPTED'
  | 'DELTA_FALLBACK'
  /**
   * A source symlink left out by `--symlinks skip`: not shown (the user asked for it), but a mirror
   * keeps what the target has at that path and below, as rsync without -l does (QA 20 F1).
   */
  | 'SYMLINK_SKIPPED'
  /** A FIFO, socket or device in a listed tree: not synced (as rsync without -D), said once each. */
  | 'SPECIAL_FILE_SKIPPED'
  /**
   * A directory on another file system than the root's, listed but not entered (`--one-file-system`,
   * rsync -x): a mirror keeps what the target has below it, as at a `SYMLINK_SKIPPED` path.
   */
  | 'OTHER_FILESYSTEM'
  /**
   * An object store key ending in `/` that has content: listed as a directory marker (as rclone
   * does), its bytes not synced (no file can have that name), said each listing.
   */
  | 'MARKER_WITH_CONTENT'
  /**
   * A file named like a backend's own temp file (local: `.syncflow-tmp-<pid>.<host>-<12 hex>`) is
   * never listed: one that no live write of this host owns is said, each listing, so that a file so
   * named is not left out without a word.
   */
  | 'TEMP_NAME_SKIPPED'
  /**
   * Source symlinks the target cannot store (an object store, a server without them) were left
   * out, each a `skip`: said once per run, with how many, after planning.
   */
  | 'SYMLINKS_UNSUPPORTED'
  /**
   * `watch`: the target root, which held the mirror, is gone (deleted while watching): the cycle
   * runs as a full sync, so the whole tree is copied again, not only the changed paths.
   */
  | 'TARGET_ROOT_MISSING'
  /**
   * `watch`: the target root path leads to another directory than the one the mirror was written
   * into (renamed away and made anew, a symlinked root re-pointed): the cycle runs as a full sync.
   */
  | 'TARGET_ROOT_REPLACED'
  /**
   * `watch`: the source root path leads to another directory than the one watched (renamed over,
   * a symlinked root re-pointed): the new one is watched, and a full sync runs.
   */
  | 'SOURCE_ROOT_REPLACED'
  /** `watch`: the source's `.syncflowignore` changed: its rules apply from this cycle, a full sync, on. */
  | 'IGNORE_RULES_CHANGED'
  /**
   * The concurrency asked for was lowered to what the process's open-files limit (`ulimit -n`)
   * allows: more at once would fail with EMFILE. Said once, before anything runs.
   */
  | 'CONCURRENCY_LOWERED'
  /**
   * Paths `--files-from` lists that the source's listing did not have (missing, or left out by
   * another filter): said once a run, after planning, with how many and the first few names, as
   * rsync reports each (rclone says nothing). Not an error: the rest was synced.
   */
  | 'FILES_FROM_MISSING'
  /**
   * `--exclude-if-present`: a root holds a marker, so everything is excluded: nothing is synced and
   * nothing deleted on either side. Said once per run, naming the side.
   */
  | 'ROOT_EXCLUDED'
  /**
   * Two-way sync: a file changed on both sides since the last run, differently. Both versions are
   * kept (`--conflict keep-both`): the newer under the name, the other beside it under a
   * `.sync-conflict-…` name, on both sides. Said once per file; `path` is the file's.
   */
  | 'CONFLICT_KEPT'
  /**
   * A write went on with what an interrupted run of the same job left on the target (an S3
   * multipart upload a killed run began): the message says how many bytes were not sent again.
   */
  | 'UPLOAD_RESUMED'
  /**
   * An orderly stop (Ctrl-C, SIGTERM, a hangup) kept a write's partial work on the target for the
   * next run to resume (an S3 multipart upload with parts on the service): the message says how much.
   */
  | 'UPLOAD_KEPT'
  /**
   * A new file pulled from a source that sends deltas (`syncflow serve`) was made from the partial
   * an interrupted run left on the (local) target, plus what the source sent beyond it: the message
   * says how big the partial was and how many bytes were not fetched again.
   */
  | 'DOWNLOAD_RESUMED'
  /**
   * A pull of a new file stopped (Ctrl-C, SIGTERM, a hangup) or cut off (the connection lost for
   * good) kept what it had written on the target for the next run to resume (`DOWNLOAD_RESUMED`):
   * the message says how much.
   */
  | 'DOWNLOAD_KEPT'
  /**
   * A `--link-dest` directory cannot give links (missing, as a first snapshot's "previous" is, or
   * on another file system than the target): its files are copied, as rsync does with a warning.
   */
  | 'LINK_DEST_UNUSED'
  /**
   * `-H`: a later name of a file was copied, not hard-linked to its first name, because the target
   * could not link them (another file system mounted inside it, too many links already): the
   * message names both. The next run tries again.
   */
  | 'HARD_LINK_COPIED'

/** A throughput snapshot, emitted at least once a second while running. */
export interface StatsEvent {
  readonly type: 'stats'
  readonly ts: number
  readonly elapsedMs: number
  readonly filesPlanned: number
  readonly filesDone: number
  readonly bytesPlanned: number
  readonly bytesDone: number
  /** Current rates over a short sliding window. */
  readonly bytesPerSec: number
  readonly filesPerSec: number
  /** Actions executing now. */
  readonly inFlight: number
  /** Actions planned and not yet started. */
  readonly queued: number
  readonly failed: number
  /** Estimated ms to completion, when it can be estimated. */
  readonly etaMs?: number
  /** True while the listing is still running (totals still growing). */
  readonly listing: boolean
}

/** Per-kind counters. */
export type ActionCounts = Readonly<Record<ActionKind, number>>

/** The final summary of a run. Always the last event. */
export interface SyncSummary {
  readonly mode: string
  readonly dryRun: boolean
  /** Actions planned per kind. */
  readonly planned: ActionCounts
  /** Actions done per kind. */
  readonly done: ActionCounts
  /**
   * Of the `mkdir` counts above, those that only set the mode of a directory the target already
   * had (shown as `chmod`). Absent when none.
   */
  readonly modesSet?: { readonly planned: number; readonly done: number }
  /**
   * Of the `touch` counts above, those that set the mode of a file whose content and mtime were
   * the source's already (a chmod in place, shown as `chmod`). Absent when none.
   */
  readonly fileModesSet?: { readonly planned: number; readonly done: number }
  /**
   * Of the `touch` counts above, those that set both the mode and the mtime of a file whose content
   * was the source's already (reason `MODE_AND_MTIME_DIFFER`, shown as `chmod+touch`). Absent when none.
   */
  readonly fileModesAndMtimesSet?: { readonly planned: number; readonly done: number }
  /**
   * Of the `touch` and `delete` counts above, those of directories (a directory's mtime set, a
   * directory removed), so that a summary can tell them from files. Absent when none.
   */
  readonly dirActions?: {
    readonly planned: { readonly touch: number; readonly delete: number }
    readonly done: { readonly touch: number; readonly delete: number }
  }
  /** Files found identical (no action). */
  readonly unchanged: number
  /**
   * Files the target has that `--ignore-existing` left as they are without comparing them, where
   * their listings differ or cannot tell (not counted in `unchanged`, which said they were
   * identical: QA 27d). Absent when none.
   */
  readonly leftExisting?: number
  /**
   * Files `--update` (`-u`) left as they are because the target's is newer than the source's (not
   * counted in `unchanged`, which said they were identical: QA 27d). Absent when none.
   */
  readonly leftNewer?: number
  /** Old target files kept in the backup directory before they were replaced or deleted (`--backup-dir`); absent when none. */
  readonly kept?: number
  /** New files hard-linked from a `--link-dest` directory rather than copied (counted in `done.copy` too); absent when none. */
  readonly linked?: number
  /** Source files deleted once the target held them (`removeSourceFiles`; in a dry run: would be); absent when none. */
  readonly sourceRemoved?: number
  /**
   * Of `sourceRemoved`, the files moved within one file system: linked to their new name (counted in
   * `done.copy` too), then their source name removed (`removed` events with `renamed`); absent when none.
   */
  readonly moved?: number
  /** Source directories left empty and removed (`removeEmptyDirs`); absent when none. */
  readonly sourceDirsRemoved?: number
  readonly failed: number
  readonly skipped: number
  readonly bytesTransferred: number
  readonly durationMs: number
  readonly bytesPerSec: number
  readonly filesPerSec: number
  /** Errors while listing either side (deletes are suppressed when > 0). */
  readonly listingErrors: number
  /** Why deletes were not run, when they were not. */
  readonly deletesSuppressed?: string
  readonly notices: number
  readonly interrupted: boolean
  /**
   * Set when the run could not proceed at all (source root missing, credentials rejected, lock
   * held, bad configuration). The CLI exits 2 for USAGE/AUTH/UNSUPPORTED/LOCKED/NOT_FOUND here.
   */
  readonly fatal?: SerializedError
  /** Codes of failures, counted. */
  readonly errorCodes: Readonly<Partial<Record<SyncErrorCode, number>>>
}

/**
 * The last event of every run. A continuous job (`syncflow watch`) ends each of its cycles with
 * one (summary mode `mirror` or `copy`, with `cycle` and `trigger`), and the job with a last one
 * (summary mode `watch`: totals over all cycles; no `cycle` or `trigger`).
 */
export interface DoneEvent {
  readonly type: 'done'
  readonly ts: number
  /**
   * A continuous job's cycle only: its number, from 1 (normally the initial sync) up, the `#n` of
   * the `watch` log. A cycle over changes that found nothing to do and nothing to report (a file
   * created and deleted within the debounce) ends without a `done` and takes no number.
   */
  readonly cycle?: number
  /**
   * A continuous job's cycle only: what started it.
   * - `initial`: the full sync at start. The watcher was ready before it began, so once its `done`
   *   is out the job is watching: every change since before it started is followed.
   * - `changes`: paths the source's events (or polling) said changed, or that changed again while
   *   a cycle copied them.
   * - `retry`: paths whose last try failed for a reason that may pass, tried again after a wait.
   * - `rescan`: both sides compared in full: every `rescanMs`, and sooner when the source must be
   *   listed again (its root came back, its watcher lost events, a removed directory's contents
   *   were left) or when the last cycle could not list a side (tried again after a wait).
   * Work that arrives while a cycle runs joins the next one, whose trigger is then the first of
   * `initial`, `rescan`, `changes`, `retry` that it covers.
   */
  readonly trigger?: 'initial' | 'changes' | 'retry' | 'rescan'
  readonly summary: SyncSummary
}
