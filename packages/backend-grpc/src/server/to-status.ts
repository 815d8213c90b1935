import type { Metadata, StatusObject } from '@grpc/grpc-js'
import { asSyncError, bareMessage, type SyncError, type SyncErrorCode } from '@syncflow/core'
import type { Protocol } from '../wire/load-protocol.js'
import { SERVER_FILES_HINT } from './open-files-gate.js'
import { isReadOnlyRefusal } from './read-only.js'
import { isServedRootRefusal, ROOT_CHANGED_TRAILER } from './served-root.js'

/** The trailer with a hint that is not ASCII, in UTF-8 (binary metadata: `-bin`); see `toStatus`. */
export const HINT_BIN_TRAILER = 'syncflow-hint-bin'

/** The gRPC status of each syncflow code (the client maps back via the `syncflow-code` trailer). */
const STATUS: Record<SyncErrorCode, number> = {
  NOT_FOUND: 5,
  PERMISSION: 7,
  INVALID_PATH: 3,
  CONFLICT: 9,
  TRANSIENT: 14,
  AUTH: 16,
  USAGE: 3,
  UNSUPPORTED: 12,
  LOCKED: 9,
  NO_SPACE: 8,
  ABORTED: 1,
  CHECKSUM: 15,
  UNKNOWN: 13,
}

/** gRPC's FAILED_PRECONDITION: the status of a call for another served directory (see checkServedRoot). */
const FAILED_PRECONDITION = 9

/** Hints about the server's side, where the local backend's speak to the user of a local directory. */
const SERVER_HINTS: Partial<Record<SyncErrorCode, string>> = {
  PERMISSION:
    'syncflow serve may not access this path: check the permissions below its --root (or run it as a user who may).',
  NO_SPACE: "The server's filesystem is full: free some space below its --root, then run again.",
}

/**
 * What a client is told of a server-side error: the message without its `CODE: op (path): ` prefix
 * (the client writes its own, `CODE: grpc.op (path): `), the served directory's real path (`root`)
 * written as paths below it in the message, the path and the hint (a client learns nothing of the server's
 * filesystem), and a hint about the server.
 */
export function forClient(e: SyncError, root?: string): { message: string; path?: string; hint?: string } {
  const bare = bareMessage(e)
  // The local backend's hint blames "this process", which the client reads as itself (review 23 F4).
  // A --read-only refusal is PERMISSION too, but no path's permissions are to blame: its own hint says what to do.
  const hint = outOfFiles(e) ? SERVER_FILES_HINT : isReadOnlyRefusal(e) ? e.hint : (SERVER_HINTS[e.code] ?? e.hint)
  return {
    message: hideRoot(bare, root),
    ...(e.path !== undefined ? { path: hideRoot(e.path, root) } : {}),
    // The hint too: a local backend's names its root ("Watch /srv/data/w again and rescan it.", a
    // served directory replaced under a client's watch), which told the client the server's path (QA 28d).
    ...(hint !== undefined ? { hint: hideRoot(hint, root) } : {}),
  }
}

/** True when `e` comes from the server being out of file handles (EMFILE, or ENFILE: the system's). */
function outOfFiles(e: SyncError): boolean {
  // The errno is on the Node error a SyncError wraps, a cause or two down.
  let cause: unknown = e
  for (let depth = 0; depth < 4 && cause instanceof Error; depth++) {
    const errno = (cause as { code?: unknown }).code
    if (errno === 'EMFILE' || errno === 'ENFILE') return true
    cause = cause.cause
  }
  return false
}

/** `text` with `root` written as `.` and each path below it as that path; '/srv/data2' is not below '/srv/data'. */
function hideRoot(text: string, root: string | undefined): string {
  if (root === undefined || root === '/') return text
  const below = new RegExp(`${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|(?![\\w.-]))`, 'g')
  return text.replace(below, (_, slash: string) => (slash === '/' ? '' : '.'))
}

/**
 * A server-side failure as a gRPC status, naming the syncflow code, path and hint in trailers.
 * `root`: the served directory's real path, kept out of what the client is told (see `forClient`).
 */
export function toStatus(err: unknown, grpc: Protocol['grpc'], op: string, root?: string): Partial<StatusObject> {
  const e = asSyncError(err, `serve.${op}`)
  const { message, path, hint } = forClient(e, root)
  const metadata: Metadata = new grpc.Metadata()
  metadata.set('syncflow-code', e.code)
  if (path !== undefined) metadata.set('syncflow-path', encodeURIComponent(path))
  if (hint !== undefined) {
    // A metadata value must be printable ASCII: grpc-js threw on a hint naming "Café.txt" (a case
    // twin on a case-insensitive served directory), out of the call, and `serve` died for every
    // client (QA 31c). Such a hint goes escaped (`%C3%A9`, as an older client shows it) and whole
    // in UTF-8 in `syncflow-hint-bin`, which a client reads first.
    const ascii = wellFormed(hint).replace(/[^\x20-\x7e]/gu, (c) => encodeURIComponent(c))
    metadata.set('syncflow-hint', ascii)
    if (ascii !== hint) metadata.set(HINT_BIN_TRAILER, Buffer.from(hint, 'utf8'))
  }
  // Another served directory than the client's: not one path's NOT_FOUND, the client stops its run.
  const otherRoot = isServedRootRefusal(e)
  if (otherRoot) metadata.set(ROOT_CHANGED_TRAILER, '1')
  // grpc-js sends the message percent-encoded itself (encodeURI into `grpc-message`, decodeURI on
  // the client): escaping it here too reached the user as `parent "r%C3%A9pertoire" is a file` for
  // any name that is not ASCII (QA 31c). Only lone surrogates are replaced (U+FFFD), which encodeURI
  // refuses.
  return {
    code: otherRoot ? FAILED_PRECONDITION : STATUS[e.code],
    details: wellFormed(message),
    metadata,
  }
}

/**
 * `text` with each lone surrogate replaced by U+FFFD (through UTF-8 and back), which
 * `encodeURIComponent` and grpc-js's `encodeURI` refuse; the rest unchanged.
 */
function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8')
}
