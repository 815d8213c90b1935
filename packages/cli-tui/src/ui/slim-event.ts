import type { Action, Entry, SyncEvent } from '@syncflow/core'

const slimEntry = (e: Entry): Entry => ({ path: e.path, kind: e.kind, size: e.size, mtimeMs: e.mtimeMs })

const slimAction = (a: Action): Action => ({
  kind: a.kind,
  path: a.path,
  reason: a.reason,
  ...(a.from !== undefined ? { from: a.from } : {}),
  ...(a.source ? { source: slimEntry(a.source) } : {}),
})

/**
 * The event as the UI thread needs it: entries keep path, kind, size and mtime (hashes, versions,
 * modes, link targets and the entry written are dropped), so passing 30,000 events between
 * threads costs little. Everything the screen, the webhook and the metrics read is kept.
 */
export function slimEvent(e: SyncEvent): SyncEvent {
  switch (e.type) {
    case 'planned':
    case 'started':
      return { type: e.type, ts: e.ts, action: slimAction(e.action) }
    case 'completed':
      return {
        type: 'completed',
        ts: e.ts,
        action: slimAction(e.action),
        bytes: e.bytes,
        durationMs: e.durationMs,
        ...(e.dryRun ? { dryRun: true } : {}),
      }
    case 'skipped':
    case 'failed':
      return e.action ? { ...e, action: slimAction(e.action) } : e
    default:
      return e
  }
}
