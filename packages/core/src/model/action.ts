import type { Entry } from './entry.js'
import type { RelPath } from './rel-path.js'

/** The kinds of planned step. */
export type ActionKind = 'copy' | 'update' | 'delete' | 'mkdir' | 'move' | 'touch' | 'conflict' | 'skip'

/** One planned step of a sync. */
export interface Action {
  readonly kind: ActionKind
  /** The path the action applies to (the destination path of a `move`). */
  readonly path: RelPath
  /** For `move`: the old path on the target. */
  readonly from?: RelPath
  /** The source entry as listed (absent for `delete`). */
  readonly source?: Entry
  /** The target entry as listed (absent for `copy`/`mkdir`). Used to re-check before replacing. */
  readonly target?: Entry
  /** Human-readable reason, e.g. "new file", "size differs", "mtime differs", `MODE_DIFFERS`. */
  readonly reason: string
}

/** Action kinds that write bytes to the target. */
export function isTransferAction(kind: ActionKind): boolean {
  return kind === 'copy' || kind === 'update'
}

/**
 * The reason of an action for permissions alone: a `touch` of a file or a `mkdir` of a directory
 * the target has (each a chmod in place, said `chmod`), or an `update` where the target cannot set
 * a file's mode in place (the file is written anew with its mode).
 */
export const MODE_DIFFERS = 'mode differs'
