import type { Action, ActionKind, FailedEvent, RelPath, SyncErrorCode, SyncEvent, SyncSummary } from '@syncflow/core'

/** An action on `path` of `size` bytes. */
export function action(kind: ActionKind, path: string, size = 100): Action {
  return {
    kind,
    path: path as RelPath,
    reason: 'test',
    ...(kind === 'delete' ? {} : { source: { path: path as RelPath, kind: 'file', size, mtimeMs: 0 } }),
  }
}

const zero = { copy: 0, update: 0, delete: 0, mkdir: 0, move: 0, touch: 0, conflict: 0, skip: 0 }

/** A summary with `done` counts and a mode. */
export function summary(over: Partial<SyncSummary> = {}): SyncSummary {
  return {
    mode: 'mirror',
    dryRun: false,
    planned: zero,
    done: zero,
    unchanged: 0,
    failed: 0,
    skipped: 0,
    bytesTransferred: 0,
    durationMs: 100,
    bytesPerSec: 0,
    filesPerSec: 0,
    listingErrors: 0,
    notices: 0,
    interrupted: false,
    errorCodes: {},
    ...over,
  }
}

/** The events of one transfer: planned, started, progress, completed. */
export function transferEvents(kind: ActionKind, path: string, size = 100, ts = 0): SyncEvent[] {
  const a = action(kind, path, size)
  return [
    { type: 'planned', ts, action: a },
    { type: 'started', ts, action: a },
    { type: 'progress', ts, path, bytes: size / 2, total: size },
    { type: 'completed', ts, action: a, bytes: kind === 'delete' ? 0 : size, durationMs: 1 },
  ]
}

/** A failure event. */
export function failed(path: string, code: SyncErrorCode = 'PERMISSION', message = 'permission denied'): FailedEvent {
  return {
    type: 'failed',
    ts: 0,
    path,
    stage: 'transfer',
    error: { code, message },
  }
}
