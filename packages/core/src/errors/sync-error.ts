/**
 * The closed set of error codes. Only `TRANSIENT` is retried. `UNKNOWN` means a bug: report it.
 *
 * | code | meaning | exit code |
 * | --- | --- | --- |
 * | NOT_FOUND | path, bucket or root does not exist | 1 (2 for a missing root/bucket given by the user) |
 * | PERMISSION | the OS or service denied access | 1 |
 * | INVALID_PATH | a path cannot be a safe RelPath (or is too long for the backend) | 1 |
 * | CONFLICT | the destination changed since it was planned, or a type clash | 1 |
 * | TRANSIENT | network, throttling, timeouts: retried with backoff | 1 after retries |
 * | AUTH | credentials missing or rejected | 2 |
 * | USAGE | bad flag, value or configuration | 2 |
 * | UNSUPPORTED | a backend lacks a required feature | 2 |
 * | LOCKED | another run holds the job lock | 2 |
 * | NO_SPACE | the target is full | 1 |
 * | ABORTED | the run was interrupted | 130 |
 * | CHECKSUM | data did not match its hash after transfer | 1 |
 * | UNKNOWN | anything not translated: a bug | 1 |
 */
export type SyncErrorCode =
  | 'NOT_FOUND'
  | 'PERMISSION'
  | 'INVALID_PATH'
  | 'CONFLICT'
  | 'TRANSIENT'
  | 'AUTH'
  | 'USAGE'
  | 'UNSUPPORTED'
  | 'LOCKED'
  | 'NO_SPACE'
  | 'ABORTED'
  | 'CHECKSUM'
  | 'UNKNOWN'

/** All codes, for validation and docs. */
export const SYNC_ERROR_CODES: readonly SyncErrorCode[] = [
  'NOT_FOUND',
  'PERMISSION',
  'INVALID_PATH',
  'CONFLICT',
  'TRANSIENT',
  'AUTH',
  'USAGE',
  'UNSUPPORTED',
  'LOCKED',
  'NO_SPACE',
  'ABORTED',
  'CHECKSUM',
  'UNKNOWN',
]

/** Extra detail carried by a SyncError. */
export interface SyncErrorDetails {
  /** The RelPath or location the error is about. */
  readonly path?: string
  /** The backend and operation, e.g. `local.write`, `s3.list`. */
  readonly op?: string
  /** What the user can do about it. */
  readonly hint?: string
  /** The original error. */
  readonly cause?: unknown
  /**
   * The address of a location that could not be reached at all (a server's `host:port`: the
   * connection refused, or not made), set by a backend on such a `TRANSIENT` error: not this path's
   * problem but the whole location's, which every other call meets alike while it is down. A run
   * stops once several transfers in a row failed so (`UnreachableStop`) instead of trying each.
   * Set on an error that is not `TRANSIENT`, it says the address answers but is no longer the
   * location the run started with (a `syncflow serve` restarted with another root): the run stops
   * at its first such failure.
   */
  readonly unreachable?: string
}

/**
 * The one error type every backend and operator throws. Backends translate their native errors
 * once, at the boundary (`to-sync-error.ts` in each backend package).
 */
export class SyncError extends Error {
  override readonly name = 'SyncError'
  readonly code: SyncErrorCode
  readonly path?: string
  readonly op?: string
  readonly hint?: string
  /** See `SyncErrorDetails.unreachable`. */
  readonly unreachable?: string

  constructor(code: SyncErrorCode, message: string, details: SyncErrorDetails = {}) {
    super(
      prefixOf(code, details.op, details.path) + message,
      details.cause !== undefined ? { cause: details.cause } : undefined,
    )
    this.code = code
    if (details.path !== undefined) this.path = details.path
    if (details.op !== undefined) this.op = details.op
    if (details.hint !== undefined) this.hint = details.hint
    if (details.unreachable !== undefined) this.unreachable = details.unreachable
  }

  /** Only transient errors are retried; this is a property of the code, never parsed from text. */
  get retryable(): boolean {
    return this.code === 'TRANSIENT'
  }

  /** A plain object for `--json` output and events. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      ...(this.path !== undefined ? { path: this.path } : {}),
      ...(this.hint !== undefined ? { hint: this.hint } : {}),
    }
  }
}

/** What a SyncError's message starts with: `CODE: op (path): `, or nothing without an op. */
function prefixOf(code: SyncErrorCode, op: string | undefined, path: string | undefined): string {
  return op ? `${code}: ${op}${path !== undefined ? ` (${path})` : ''}: ` : ''
}

/**
 * `e`'s message without its `CODE: op (path): ` prefix: for an error made again from it (another
 * code, op or path), which writes its own.
 */
export function bareMessage(e: Pick<SyncError, 'code' | 'op' | 'path' | 'message'>): string {
  const prefix = prefixOf(e.code, e.op, e.path)
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message
}

/** The JSON form of an error inside SyncEvents. */
export interface SerializedError {
  readonly code: SyncErrorCode
  readonly message: string
  readonly path?: string
  readonly hint?: string
}

/** True for a SyncError (also across duplicated module instances, by shape). */
export function isSyncError(err: unknown): err is SyncError {
  return (
    err instanceof SyncError ||
    (typeof err === 'object' &&
      err !== null &&
      (err as { name?: unknown }).name === 'SyncError' &&
      typeof (err as { code?: unknown }).code === 'string')
  )
}

/** Wraps anything thrown into a SyncError; unknown errors become `UNKNOWN` (a bug to report). */
export function asSyncError(err: unknown, op?: string, path?: string): SyncError {
  if (isSyncError(err)) return err
  if (err instanceof Error && err.name === 'AbortError') {
    return new SyncError('ABORTED', 'interrupted', { cause: err, ...(op ? { op } : {}), ...(path ? { path } : {}) })
  }
  // A relative path resolved in a current directory deleted since the shell entered it: Node's
  // process.cwd() fails (uv_cwd). The user's to fix, not "a bug in syncflow" (QA 25d).
  if (err instanceof Error && (err as NodeJS.ErrnoException).syscall === 'uv_cwd') {
    return new SyncError(
      'USAGE',
      'the current directory no longer exists (deleted or moved away since the shell entered it)',
      {
        cause: err,
        ...(op ? { op } : {}),
        hint: 'cd to a directory that exists, or give every location, --backup-dir, --state and file absolute.',
      },
    )
  }
  const message = err instanceof Error ? err.message : String(err)
  return new SyncError('UNKNOWN', message, {
    cause: err,
    ...(op ? { op } : {}),
    ...(path !== undefined ? { path } : {}),
    hint: 'This looks like a bug in syncflow: please report it with the output of -v.',
  })
}
