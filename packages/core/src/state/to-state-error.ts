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
  // node-redis's own refused connect (ECONNREFUSED, as `probeStateServer` meets it) is the same
  // server not running, said in the same words.
  // So is a server that took the connection and closed it at Redis's first words (another kind of
  // server on that port, PostgreSQL's): node-redis says "Socket closed unexpectedly" to the dry
  // run's probe where the open says "failed to connect"; at the open only, since later the same
  // words mean a connection lost mid-run.
  const keyvUnreachable =
    (code === '' && /not connected|failed to connect/i.test(message)) ||
    (code === 'ECONNREFUSED' && /^rediss?:/i.test(location)) ||
    (op === 'state.open' && code === '' && /^Socket closed unexpectedly/.test(message) && /^rediss?:/i.test(location))
  // pg's connect timeout said only "Connection terminated due to connection timeout", for what is
  // as likely the port of another kind of server (a Redis port), which never answers PostgreSQL's
  // greeting (QA 32c).
  // pg's Client (which `probeStateServer` connects with) says only "timeout expired".
  const pgTimeout =
    code === '' &&
    (/^(Connection terminated due to connection timeout|timeout exceeded when trying to connect)/.test(message) ||
      (message === 'timeout expired' && /^postgres(ql)?:/i.test(location)))
  const unreachable = keyvUnreachable
    ? 'ECONNREFUSED'
    : pgTimeout
      ? 'ETIMEDOUT'
      : lostConnection(code, message)
        ? 'ECONNRESET'
        : code
  // A rediss:// URL to a server without TLS only times out, which read as a server not running
  // (QA 31d).
  const said = keyvUnreachable
    ? /^rediss:/i.test(location)
      ? 'the Redis server did not accept a TLS connection (not running, not at that address, or without TLS: rediss:// needs TLS, redis:// is without)'
      : 'the Redis server did not accept a connection (not running, not at that address, or another kind of server on that port?)'
    : pgTimeout
      ? 'no PostgreSQL server answered there in time (is that the port of another kind of server, or does a firewall drop the connection?)'
      : message
  // A state server that refuses this user, or lacks what the URL names, is the user's setting to fix,
  // not "a bug in syncflow" (UNKNOWN), nor a server "not running" (QA 29c). Redis answers in words
  // (no code); PostgreSQL with its SQLSTATE; pg's own SCRAM client, when the server asks for a
  // password and the URL gives none, in words too.
  const refused = stateServerRefusal(code, message)
  if (refused !== undefined) return new SyncError(refused.code, refused.message, { ...details, hint: refused.hint })
  // A server whose TLS certificate is not trusted (self-signed, another CA) or names another host:
  // "internal error … a bug in syncflow" (UNKNOWN), for a setting of the user's. The check stays.
  if (TLS_CERT_CODES.has(code)) {
    return new SyncError('USAGE', `the state server's TLS certificate is not accepted: ${message}`, {
      ...details,
      hint: /^postgres(ql)?:/i.test(location)
        ? 'Give the CA that signed it in the URL (postgres://…?sslmode=verify-full&sslrootcert=CA.pem) and connect by a name the certificate holds; sslmode=require checks it too (as pg does), sslmode=no-verify encrypts without checking. Or run with --no-state.'
        : 'Trust the CA that signed it (NODE_EXTRA_CA_CERTS=CA.pem) and connect by a name the certificate holds, or run with --no-state.',
    })
  }
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
    case 'SQLITE_ERROR':
      // The job's table is there, but not as this version keeps it (another version's, or some
      // other program's table of that name): it was "internal error … a bug in syncflow" (QA 31d).
      if (!/no such column|has no column named|no such table/.test(message)) return asSyncError(err, op, location)
      return new SyncError('USAGE', `the state file is not laid out as this version of syncflow keeps it: ${message}`, {
        ...details,
        hint: "If another version of syncflow made it, give this one its own file with --state (or delete it: the next run re-verifies everything). If it is some other program's database, keep it and point --state at another path.",
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

/**
 * True for a state store failure that is an answer not come in time (a connect or request timeout,
 * a DNS lookup), not a store gone: the lease leaves it to its whole-lease rule (store-lease.ts).
 */
export function stateTimedOut(err: unknown): boolean {
  const code = String((err as { code?: unknown } | null)?.code ?? '')
  const message = err instanceof Error ? err.message : String(err)
  return code === 'ETIMEDOUT' || code === 'EAI_AGAIN' || /time(d)? ?out/i.test(message)
}

/**
 * Whether an error says the connection to a state server went away under a request: the server was
 * stopped (`redis-cli shutdown`, `pg_ctl stop`), restarted or cut off mid-run. These failed the
 * state write in flight as UNKNOWN, "a bug in syncflow" (QA 31d). node-redis and pg say so in words
 * (no code); PostgreSQL with SQLSTATE class 08 (connection exception) or 57P01–57P03 (the server
 * shutting down, or not yet accepting connections).
 */
function lostConnection(code: string, message: string): boolean {
  if (/^08[0-9A-Z]{3}$/.test(code) || /^57P0[123]$/.test(code)) return true
  return (
    code === '' &&
    /^(Socket closed unexpectedly|The client is (closed|offline)|Connection timeout|Connection terminated\b|Client has encountered a connection error)/.test(
      message,
    )
  )
}

/** Node's codes for a TLS certificate that does not pass its checks (see `toStateError`). */
const TLS_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

const CREDENTIALS_HINT =
  'Check the user and password in --state (redis://USER:PASSWORD@HOST, postgres://USER:PASSWORD@HOST/DB) and what the server grants that user, or run with --no-state.'

/** What a Redis or PostgreSQL server's refusal means (see `toStateError`); `undefined` for other errors. */
function stateServerRefusal(
  code: string,
  message: string,
): { code: 'AUTH' | 'PERMISSION' | 'USAGE'; message: string; hint: string } | undefined {
  // Redis: WRONGPASS (a wrong user or password), NOAUTH (a password needed, none given), NOPERM
  // (an ACL user without the rights to a command or key).
  if (
    /^(WRONGPASS|NOAUTH|ERR AUTH)\b/.test(message) ||
    code === '28P01' ||
    code === '28000' ||
    /^SASL: /.test(message)
  ) {
    return { code: 'AUTH', message: `the state server refused the credentials: ${message}`, hint: CREDENTIALS_HINT }
  }
  // PostgreSQL: 42501 (insufficient privilege), 42P01 (no table: @keyv/postgres could not make it,
  // having no CREATE on the schema).
  if (/^NOPERM\b/.test(message) || code === '42501' || code === '42P01') {
    return {
      code: 'PERMISSION',
      message: `the state server does not let this user keep the state: ${message}`,
      hint: 'Grant the user the rights it needs (PostgreSQL: CREATE on the schema, or make the table syncflow_state for it; Redis: an ACL allowing its commands and keys), or run with --no-state.',
    }
  }
  // A server that takes no writes: a Redis replica (READONLY, to the lock's first write), a
  // PostgreSQL hot standby, or a user or database with default_transaction_read_only (25006, to the
  // table's CREATE). It was "internal error … a bug in syncflow" (QA 32c); no state is kept, and no
  // lock held, on a server that only reads.
  if (/^READONLY\b/.test(message) || code === '25006') {
    return {
      code: 'USAGE',
      message: `the state server takes no writes: ${message}`,
      hint: 'Point --state at the primary server, not a read-only replica (PostgreSQL: nor a user or database set to default_transaction_read_only), or run with --no-state.',
    }
  }
  // pg, asked for TLS (`?sslmode=require`, `ssl=true`) by a server that has none: it was "internal
  // error … a bug in syncflow" (QA 31d). The URL is the user's to fix.
  if (code === '' && /^The server does not support SSL connections/.test(message)) {
    return {
      code: 'USAGE',
      message: `the state location is not usable: ${message}`,
      hint: 'Drop sslmode (or ssl) from the postgres:// URL in --state, or enable SSL on the server (or run with --no-state).',
    }
  }
  // Redis: the database number after the port (`redis://HOST:PORT/DB`) is more than the server has.
  if (/^ERR DB index is out of range/.test(message)) {
    return {
      code: 'USAGE',
      message: `the state location is not usable: ${message}`,
      hint: 'Fix the database number in --state (redis://HOST:PORT/DB: 0 to 15 unless the server is set up with more).',
    }
  }
  // PostgreSQL: 3D000, the database the URL names does not exist.
  if (code === '3D000') {
    return {
      code: 'USAGE',
      message: `the state location is not usable: ${message}`,
      hint: 'Create that database, or name one that exists in --state (postgres://USER@HOST/DB).',
    }
  }
  return undefined
}
