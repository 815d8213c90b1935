// Public API of @syncflow/core. Entry files re-export by name; sub-barrels (state, filter, delta)
// are owned by their modules.
export type {
  Backend,
  Capabilities,
  Copyable,
  CopyFromCapable,
  DeltaCapable,
  DeltaFromOptions,
  DeltaOp,
  DirCreatable,
  FileSignature,
  Flushable,
  Hashable,
  HashOptions,
  LinkFromCapable,
  ListOptions,
  ModeSettable,
  Movable,
  MoveOptions,
  MtimeNsReadable,
  MtimeSettable,
  PartialFile,
  PartialKeeping,
  ReadOptions,
  ReadRange,
  RemoveOptions,
  RootIdentifiable,
  StatOptions,
  Symlinkable,
  Watchable,
  WriteMeta,
  WriteOptions,
} from './backend/backend.js'
export { supports } from './backend/backend.js'
export type { BackendPlugin, OpenOptions } from './backend/backend-plugin.js'
export {
  BackendRegistry,
  defaultRegistry,
  openBackend,
  registerBackend,
  schemeOf,
} from './backend/backend-registry.js'
export { expectMismatch } from './backend/expect-mismatch.js'
export { guardPlugin } from './backend/guard-plugin.js'
export type { MemBackendOptions, MemFault, MemFaults, MemOp } from './backend/mem-backend.js'
export { createMemBackend, dropMemStore, MemBackend, memBackend } from './backend/mem-backend.js'
// Two-way sync: one run (`syncflow bisync`) and its decision table; the continuous job is in `@syncflow/core/continuous`.
export type { BisyncOptions } from './bisync/bisync.js'
export { bisync } from './bisync/bisync.js'
export type { BisyncSide } from './bisync/conflict-name.js'
export { conflictName } from './bisync/conflict-name.js'
export type {
  BisyncDecideOptions,
  BisyncDecision,
  BisyncPair,
  ConflictPolicy,
  SideChange,
} from './bisync/decide-bisync.js'
export { decideBisync, sideChange } from './bisync/decide-bisync.js'
export * from './delta/index.js'
export type { SyncHooks } from './engine/delta-hook.js'
export { setSyncHooks } from './engine/delta-hook.js'
export { hardLinksProblem } from './engine/hard-links-problem.js'
export { SummaryBuilder } from './engine/summary-builder.js'
export { check, sync } from './engine/sync.js'
export type { CompareMode, MaxDelete, SyncOptions } from './engine/sync-options.js'
export type { SerializedError, SyncErrorCode, SyncErrorDetails } from './errors/sync-error.js'
export { asSyncError, bareMessage, isSyncError, SYNC_ERROR_CODES, SyncError } from './errors/sync-error.js'
export * from './filter/index.js'
export * from './job/index.js'
export type { Action, ActionKind } from './model/action.js'
export { isTransferAction, MODE_AND_MTIME_DIFFER, MODE_DIFFERS, SAME_CONTENT, transferBytesOf } from './model/action.js'
export type { Change } from './model/change.js'
export { compareUtf8 } from './model/compare-utf8.js'
export type { Entry, EntryKind, HashAlgo } from './model/entry.js'
export { compareEntries, entrySortKey } from './model/entry.js'
export { foldName } from './model/fold-name.js'
export type { RelPath } from './model/rel-path.js'
export {
  baseName,
  excludePatternFor,
  hasUnsafeCharacter,
  isRelPath,
  joinRelPath,
  nearestRelPath,
  parentRelPath,
  relPathProblem,
  toRelPath,
} from './model/rel-path.js'
export { symlinkSkipped } from './model/symlink-skipped.js'
export type {
  ActionCounts,
  CompletedEvent,
  DoneEvent,
  FailedEvent,
  NoticeCode,
  NoticeEvent,
  PlannedEvent,
  ProgressEvent,
  RemovedEvent,
  SkippedEvent,
  StartedEvent,
  StatsEvent,
  SyncEvent,
  SyncSummary,
} from './model/sync-event.js'
export { BACKUP_IN_THE_WAY_HINT, BACKUP_NAME_TOO_LONG_HINT, BACKUP_PATH_TOO_LONG_HINT } from './operators/back-up.js'
export type { DecideContext, Decision } from './operators/decide.js'
export { commonHash, decide, fingerprintOf, matchesFingerprint, modeToSet } from './operators/decide.js'
export type { DiffOptions, EntryPair } from './operators/diff.js'
export { diff } from './operators/diff.js'
export type { DeltaTransfer, ExecuteOptions } from './operators/execute-action.js'
export { executeAction } from './operators/execute-action.js'
export type { DeleteGuardInput, DeleteGuardVerdict } from './operators/guard-deletes.js'
export { guardDeletes, listingErrorHoldsDeletes } from './operators/guard-deletes.js'
export type { ListSideOptions } from './operators/list-side.js'
export { listSide } from './operators/list-side.js'
export type { MarkerRun } from './operators/marker-run.js'
export { excludeIfPresentProblem, markerRun } from './operators/marker-run.js'
export type { PlanOptions, PlanOutcome } from './operators/plan.js'
export { plan } from './operators/plan.js'
export type { RecordOptions } from './operators/record.js'
export { record } from './operators/record.js'
export type { SourceRemoverOptions } from './operators/remove-sources.js'
export { SourceRemover } from './operators/remove-sources.js'
export type { RetryOptions } from './operators/retry-transient.js'
export { retryTransient } from './operators/retry-transient.js'
export type { CheckedRead, ListedFile } from './operators/size-mismatch.js'
export {
  checkedRead,
  isListedFile,
  OBJECT_REPLACED_HINT,
  SHRUNK_HINT,
  SIZE_MISMATCH_HINT,
  sizeMismatch,
  sourceChanged,
} from './operators/size-mismatch.js'
export { isRunStop } from './operators/stop-when-refused.js'
export type { ThroughputOptions } from './operators/throughput.js'
export { ThroughputMeter, throughput } from './operators/throughput.js'
export type { TrackRenamesOptions } from './operators/track-renames.js'
export { RENAME_MIN_BYTES, trackRenames } from './operators/track-renames.js'
export type { TransferOptions } from './operators/transfer.js'
export {
  CLASH_HINT_DELETES_HELD,
  CLASH_HINT_EXCLUDED_KEPT,
  CLASH_HINT_NO_DELETES,
  transfer,
} from './operators/transfer.js'
export { VANISHED_HINT } from './operators/vanished-or.js'
export * from './state/index.js'
export { Backlog } from './util/backlog.js'
export { makeDirectories } from './util/make-directories.js'
export { MIN_OPEN_FILES, openFilesCap, openFilesLimit } from './util/open-files-cap.js'
export { RateLimiter } from './util/rate-limiter.js'
export { untilAborted } from './util/until-aborted.js'
