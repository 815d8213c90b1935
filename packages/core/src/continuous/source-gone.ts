import { type SerializedError, SyncError } from '../errors/sync-error.js'
import type { FailedEvent } from '../model/sync-event.js'

/**
 * The watched source root is gone (deleted, a disk unmounted): what a continuous job says of it,
 * once an outage, whether its watcher found it (a poll of an empty root) or a cycle did (the
 * engine's "source … does not exist"), with what happens meanwhile as the hint.
 */
export function sourceGoneError(uri: string): SyncError {
  return new SyncError('NOT_FOUND', `the source ${uri} is gone`, {
    op: 'watch',
    hint: 'Nothing is deleted meanwhile; syncing resumes once it is back (a disk mounted again, a directory restored).',
  })
}

/** Whether `error` is `sourceGoneError(uri)`'s: the watcher's word that the root is gone. */
export function isSourceGone(error: SerializedError, uri: string): boolean {
  return error.code === 'NOT_FOUND' && error.message === sourceGoneError(uri).message
}

/** Whether a cycle's `failed` event is the engine's finding that the source root `uri` does not exist. */
export function isSourceRootMissing(e: FailedEvent, uri: string): boolean {
  return e.stage === 'list' && e.side === 'source' && e.error.code === 'NOT_FOUND' && e.path === uri
}
