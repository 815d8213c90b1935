import { isSyncError, SyncError, type SyncErrorCode } from '@syncflow/core'

/** errno codes and what they mean to the engine; anything else is `UNKNOWN` (a bug to report). */
const CODES: Readonly<Record<string, SyncErrorCode>> = {
  ENOENT: 'NOT_FOUND',
  EACCES: 'PERMISSION',
  EPERM: 'PERMISSION',
  EROFS: 'PERMISSION',
  ENOSPC: 'NO_SPACE',
  EDQUOT: 'NO_SPACE',
  EFBIG: 'NO_SPACE',
  EBUSY: 'TRANSIENT',
  EAGAIN: 'TRANSIENT',
  EMFILE: 'TRANSIENT',
  ENFILE: 'TRANSIENT',
  EINTR: 'TRANSIENT',
  ETIMEDOUT: 'TRANSIENT',
  ESTALE: 'TRANSIENT',
  EEXIST: 'CONFLICT',
  ENOTEMPTY: 'CONFLICT',
  EISDIR: 'CONFLICT',
  ENOTDIR: 'CONFLICT',
  ENAMETOOLONG: 'INVALID_PATH',
  ELOOP: 'INVALID_PATH',
  EILSEQ: 'INVALID_PATH',
  ERR_INVALID_ARG_VALUE: 'INVALID_PATH',
  EXDEV: 'UNSUPPORTED',
  ABORT_ERR: 'ABORTED',
}

const HINTS: Partial<Record<SyncErrorCode, string>> = {
  PERMISSION: 'Check the permissions of the file and its directory (or run as a user who may access it).',
  NO_SPACE:
    'Free some space on the target filesystem (or inodes, where `df -i` shows none left: ENOSPC says either), then run again. A mirror deletes only after every copy succeeded, so the files it would delete free nothing for this run: remove some of them yourself, or give `sync` --delete-before (its deletes then run first; `copy` deletes nothing, and `watch` has no such flag).',
  INVALID_PATH: 'Rename the file (too long or not representable here), or exclude it with --exclude.',
  UNSUPPORTED: 'The path crosses a mount point inside the root; sync each filesystem separately.',
  UNKNOWN: 'This looks like a bug in syncflow: please report it with the output of -v.',
}

/** EMFILE/ENFILE: retried (TRANSIENT), but a limit too low for the run's concurrency fails every try (QA 22 #15). */
const FILES_HINT =
  'Too many open files at once for the limit of this process (ulimit -n): raise it, or run with a lower --concurrency.'

const ELOOP_HINT =
  'A symlink on this path loops, or leads through more links than the system follows: remove the loop or shorten the chain.'

/**
 * Translates a Node.js fs error into a SyncError, once, at the boundary: the message starts with
 * `CODE: local.<op> (<path>)`, the original error is kept as `cause`. SyncErrors pass through.
 */
export function toSyncError(err: unknown, op: string, path?: string): SyncError {
  if (isSyncError(err)) return err
  const errno = (err as { code?: unknown } | null)?.code
  const name = (err as { name?: unknown } | null)?.name
  const code: SyncErrorCode =
    name === 'AbortError' ? 'ABORTED' : typeof errno === 'string' ? (CODES[errno] ?? 'UNKNOWN') : 'UNKNOWN'
  const message = err instanceof Error ? err.message : String(err)
  // A target file system that has no symlinks (exFAT through FUSE: ENOSYS; FAT: EPERM) or refuses
  // a name FAT and exFAT do not allow (exfat-fuse: ENOENT, the kernel's drivers: EINVAL) failed as
  // UNKNOWN, "a bug in syncflow", or NOT_FOUND "no such file" for a file just written (QA 30i #2).
  const refused = refusedByFileSystem(errno, op, path)
  if (refused !== undefined) {
    return new SyncError(refused.code, message, {
      op: `local.${op}`,
      ...(path !== undefined ? { path } : {}),
      hint: refused.hint,
      cause: err,
    })
  }
  // Not a bad name: a symlink on the way that loops (QA 10 #10, a looping link given as the root).
  const hint = errno === 'ELOOP' ? ELOOP_HINT : errno === 'EMFILE' || errno === 'ENFILE' ? FILES_HINT : HINTS[code]
  return new SyncError(code, message, {
    op: `local.${op}`,
    ...(path !== undefined ? { path } : {}),
    ...(hint !== undefined ? { hint } : {}),
    cause: err,
  })
}

/** Characters FAT and exFAT (and Windows) refuse in a name. */
const FAT_FORBIDDEN = /[\\:*?"<>|]/

/** What a file system without symlinks, or with FAT's rules for names, answers; see `toSyncError`. */
function refusedByFileSystem(
  errno: unknown,
  op: string,
  path: string | undefined,
): { code: SyncErrorCode; hint: string } | undefined {
  if (op === 'symlink' && (errno === 'ENOSYS' || errno === 'EPERM' || errno === 'EOPNOTSUPP' || errno === 'ENOTSUP')) {
    return {
      code: 'UNSUPPORTED',
      hint: "The target's file system cannot hold symlinks (FAT, exFAT, NTFS through some drivers): give --symlinks follow to copy what they point to, or --symlinks skip (or --exclude them) to leave them out.",
    }
  }
  const name = path?.slice(path.lastIndexOf('/') + 1)
  if ((errno === 'ENOENT' || errno === 'EINVAL') && CREATES_NAME.has(op) && name && FAT_FORBIDDEN.test(name)) {
    return {
      code: 'INVALID_PATH',
      hint: 'The target\'s file system refuses this name (FAT and exFAT allow none of \\ : * ? " < > | in a name): rename it in the source, or leave it out with --exclude.',
    }
  }
  return undefined
}

/** Operations that give a name on the target. */
const CREATES_NAME: ReadonlySet<string> = new Set(['write', 'copyFrom', 'linkFrom', 'mkdir', 'symlink', 'move', 'copy'])

/** The errno code of a Node.js error, if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}
