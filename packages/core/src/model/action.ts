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
  /** Two-way sync: the side the action writes (`a` the first location, `b` the second). */
  readonly to?: 'a' | 'b'
  /**
   * `-H` (`SyncOptions.hardLinks`): a `copy` or `update` made as a hard link to the target's file at
   * this path, the first name of the same source file, once that one's action has completed (or
   * at once where it was unchanged). Where that one failed, or the link cannot be made, the file
   * is transferred as any other.
   */
  readonly linkTo?: RelPath
}

/** Action kinds that write bytes to the target. */
export function isTransferAction(kind: ActionKind): boolean {
  return kind === 'copy' || kind === 'update'
}

/**
 * The bytes a planned action moves: a copy or update of a file, the file's size; none for anything
 * else (a symlink's copy, whose listed size is its target's length, sends no content: a dry run
 * said "45 B to transfer" where the run sent none, QA 23 #7), nor a name `-H` links (`linkTo`).
 */
export function transferBytesOf(action: Action): number {
  // (Nor a name -H links to another: a link, unless its first name fails.)
  return isTransferAction(action.kind) && action.source?.kind === 'file' && action.linkTo === undefined
    ? action.source.size
    : 0
}

/**
 * The reason of a `move` a one-shot mirror paired by content (`trackRenames`): the target's old
 * file stands for a new source file of the same size and hash. One that cannot be done (an archived
 * S3 object, the old file changed since) copies the new file instead, as an unpaired run would.
 */
export const SAME_CONTENT = 'same size and hash'

/**
 * The reason of an action for permissions alone: a `touch` of a file or a `mkdir` of a directory
 * the target has (each a chmod in place, said `chmod`), or an `update` where the target cannot set
 * a file's mode in place (the file is written anew with its mode).
 */
export const MODE_DIFFERS = 'mode differs'

/**
 * The reason of a `touch` of a file that sets both its mode and its mtime (same content): said
 * `chmod+touch`, and counted apart (`SyncSummary.fileModesAndMtimesSet`). Called `chmod` (or an
 * "mtime only" `touch`) it hid the half of the fix the other word did not name (QA 26h).
 */
export const MODE_AND_MTIME_DIFFER = 'mode and mtime differ'
