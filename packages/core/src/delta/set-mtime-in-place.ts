import type { MtimeSettable } from '../backend/backend.js'
import { isSyncError } from '../errors/sync-error.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'

/**
 * Sets `path`'s mtime in place for a delta that found the same content, or undefined where that
 * cannot be: a file that other names share (hard links: UNSUPPORTED, their mtime would change too)
 * or that is not this user's (PERMISSION). The caller then patches it as usual, written anew, as the
 * engine's own touch falls back to a rewrite; the update failed instead, on every run (QA 28e).
 * Both ends of a delta use it: the engine and `syncflow serve`.
 */
export async function setMtimeInPlace(
  backend: MtimeSettable,
  path: RelPath,
  mtimeMs: number,
): Promise<Entry | undefined> {
  try {
    return await backend.setMtime(path, mtimeMs)
  } catch (err) {
    if (isSyncError(err) && (err.code === 'UNSUPPORTED' || err.code === 'PERMISSION')) return undefined
    throw err
  }
}
