import type { Backend } from '../backend/backend.js'
import { isSyncError, SyncError } from '../errors/sync-error.js'
import type { Action } from '../model/action.js'
import type { RelPath } from '../model/rel-path.js'

/** What to do about a source file deleted or renamed between its listing and its copy. */
export const VANISHED_HINT =
  'It was deleted or renamed on the source after the listing: nothing to copy. The next run takes it as gone (a mirror then deletes its copy).'

/**
 * `err`, or, when it is a copy's NOT_FOUND and the source has no such file any more, that said in
 * plain words: the backend's own ("ENOENT: no such file or directory, open '/abs/…'") did not say
 * that the file was there when listed and is gone now (QA 29a #9; rsync: "file has vanished").
 */
export async function vanishedOr(err: unknown, action: Action, source: Backend): Promise<unknown> {
  if ((action.kind !== 'copy' && action.kind !== 'update') || action.source?.kind !== 'file') return err
  return vanishedSourceOr(err, action.path, source, 'nothing was written')
}

/**
 * `err`, or, when it is a NOT_FOUND and the source has no file at `path` any more, that the source
 * file listed there is gone since (`outcome`: what was not done for it). Also for the stat or hash
 * that planning took of a file deleted meanwhile (a long `--checksum` planning): that said only
 * "NOT_FOUND: local.hash (f): no such file" (QA 31j #2).
 */
export async function vanishedSourceOr(
  err: unknown,
  path: RelPath,
  source: Backend,
  outcome: string,
): Promise<unknown> {
  if (!isSyncError(err) || err.code !== 'NOT_FOUND' || err.hint !== undefined) return err
  // Still there, or not to be told (a server gone): some other NOT_FOUND, said as it was.
  if ((await source.stat(path).catch(() => null)) !== undefined) return err
  return new SyncError('NOT_FOUND', `the source file is gone since it was listed; ${outcome}`, {
    ...(err.op !== undefined ? { op: err.op } : {}),
    path,
    hint: VANISHED_HINT,
    cause: err,
  })
}
