import { asSyncError, isSyncError, SyncError } from '../errors/sync-error.js'
import { outOfHandles, outOfHandlesError } from './out-of-handles.js'

/**
 * Translates an error of a state store (sqlite3, a keyv adapter, the filesystem) into a SyncError,
 * once, at the store's boundary. `location` is what the user gave (`--state`) or the default file.
 */
export function toStateError(err: unknown, op: string, location: string): SyncError {
  if (isSyncError(err)) return err
  if (outOfHandles(err)) return outOfHandlesError(err, op, location)
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  const message = err instanceof Error ? err.message : String(err)
  const details = { op, path: location, cause: err }
  // @keyv/redis says so in words only (throwOnConnectError), with no code, and words about its own
  // option that we set, which mean nothing to a user ("This is thrown because throwOnConnectError is
  // set to true.", QA 23 #9): said our way instead.
  const keyvUnreachable = code === '' && /not connected|failed to connect/i.test(message)
  const unreachable = keyvUnreachable ? 'ECONNREFUSED' : code
  const said = keyvUnreachable
    ? 'the Redis server did not accept a connection (not running, or not at that address?)'
    : message
  switch (unreachable) {
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new SyncError('PERMISSION', `cannot open or write the state store: ${message}`, {
        ...details,
        hint: 'Check that the state directory exists and is writable, or pick another file with --state (or run with --no-state).',
      })
    case 'ENOTDIR':
    case 'EEXIST':
    case 'ENOENT':
      return new SyncError('USAGE', `the state location is not usable: ${message}`, {
        ...details,
        hint: 'A part of the state path is a file, not a directory: fix --state or SYNCFLOW_STATE_DIR.',
      })
    case 'SQLITE_FULL':
    case 'ENOSPC':
      return new SyncError('NO_SPACE', `the state store's disk is full: ${message}`, {
        ...details,
        hint: 'Free some space, or move the state elsewhere with --state or SYNCFLOW_STATE_DIR.',
      })
    case 'SQLITE_NOTADB':
      // No SQLite file at all: maybe syncflow's own, garbled, but as likely a file given to --state
      // by mistake (`--state ~/.bashrc`), which "Delete the state file" told the user to delete (QA 26).
      return new SyncError('USAGE', `the state file is not a usable SQLite database: ${message}`, {
        ...details,
        hint: 'If it is a state file syncflow made (damaged), delete it: the next run re-verifies everything. If it is some other file, keep it and point --state at another path.',
      })
    case 'SQLITE_CORRUPT':
      return new SyncError('USAGE', `the state file is not a usable SQLite database: ${message}`, {
        ...details,
        hint: 'Delete the state file (the next run re-verifies everything), or point --state at another file.',
      })
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new SyncError('LOCKED', `the state store is in use by another process: ${message}`, {
        ...details,
        hint: 'Wait for the other syncflow run to finish, or give this job its own --state file.',
      })
    case 'ECONNREFUSED':
    case 'ECONNRESET':
    case 'ETIMEDOUT':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SyncError('TRANSIENT', `cannot reach the state store: ${said}`, {
        ...details,
        hint: 'Check that the state server is running and reachable, or run with --no-state.',
      })
    default:
      return asSyncError(err, op, location)
  }
}
