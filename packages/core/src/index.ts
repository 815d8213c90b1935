// Public API of @syncflow/core. Entry files re-export by name; sub-barrels (state, filter, delta)
// are owned by their modules.
export type {
  Backend,
  Capabilities,
  Copyable,
  CopyFromCapable,
  DeltaCapable,
  DeltaOp,
  DirCreatable,
  FileSignature,
  Hashable,
  ListOptions,
  Movable,
  MtimeSettable,
  ReadRange,
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
export * from './delta/index.js'
export type { SerializedError, SyncErrorCode, SyncErrorDetails } from './errors/sync-error.js'
export { asSyncError, isSyncError, SYNC_ERROR_CODES, SyncError } from './errors/sync-error.js'
export * from './filter/index.js'
export type { Action, ActionKind } from './model/action.js'
export { isTransferAction } from './model/action.js'
export type { Change } from './model/change.js'
export { compareUtf8 } from './model/compare-utf8.js'
export type { Entry, EntryKind, HashAlgo } from './model/entry.js'
export { compareEntries, entrySortKey } from './model/entry.js'
export type { RelPath } from './model/rel-path.js'
export { baseName, isRelPath, joinRelPath, parentRelPath, relPathProblem, toRelPath } from './model/rel-path.js'
export type {
  ActionCounts,
  CompletedEvent,
  DoneEvent,
  FailedEvent,
  NoticeCode,
  NoticeEvent,
  PlannedEvent,
  ProgressEvent,
  SkippedEvent,
  StartedEvent,
  StatsEvent,
  SyncEvent,
  SyncSummary,
} from './model/sync-event.js'
export * from './state/index.js'
export type { CompareMode, MaxDelete, SyncOptions } from './engine/sync-options.js'
export { check, sync } from './engine/sync.js'
