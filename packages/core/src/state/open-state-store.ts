import fs from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import type Keyv from 'keyv'
import { bareMessage, isSyncError, SyncError } from '../errors/sync-error.js'
import { defaultStateDir, defaultStateFile } from '../job/default-state-dir.js'
import { assertJobId } from '../job/job-id.js'
import { makeDirectories } from '../util/make-directories.js'
import { redactLocation as redact } from '../util/redact-location.js'
import { untilAborted } from '../util/until-aborted.js'
import { adapterInstallHint } from './adapter-install-hint.js'
import { keyvDeserialize } from './keyv-deserialize.js'
import { createKeyvStateStore } from './keyv-state-store.js'
import { MemoryStateStore } from './memory-state-store.js'
import { outOfHandles, outOfHandlesError } from './out-of-handles.js'
import { pgSslModeSaid } from './pg-ssl-mode.js'
import { plainRedisAnswer } from './plain-redis-answer.js'
import { catchIdlePoolErrors, sharePool } from './postgres-pools.js'
import type { StateStore } from './state-store.js'
import { type LeasePrimitive, postgresLease, redisLease } from './store-lease.js'
import { toStateError } from './to-state-error.js'

/** Options of `openStateStore`. */
export interface OpenStateStoreOptions {
  /** The job whose state this is (`jobIdOf(source, target)`). */
  readonly jobId: string
  /** Directory of the default SQLite files; default `defaultStateDir()`. */
  readonly stateDir?: string
  /**
   * How long an operation on a store on a server (Redis, PostgreSQL) may wait for its answer, in
   * ms, before it fails (TRANSIENT) and the store with it: one that stops answering must not hold
   * the run for ever. [30 s, the lock's lease: a run cut off from the store that long stops anyway]
   */
  readonly requestTimeoutMs?: number
  /**
   * Ends the open of a store on a server when aborted (a Ctrl-C): its connect is dropped and the
   * open fails `ABORTED`. Without it, a server that takes the connection and never answers held
   * the process for the rest of the connect timeout after the command had given up on it.
   */
  readonly signal?: AbortSignal
  /**
   * The store is only read (a two-way dry run): a SQLite file, or journal, this user may not write
   * is not refused (`assertSqliteWritable`), as nothing is written to it.
   */
  readonly readOnly?: boolean
}

/**
 * Opens the state store of a job at `location` (the `--state` value):
 *
 * | location | store |
 * | --- | --- |
 * | `undefined` | SQLite file `<stateDir>/<jobId>.sqlite` (the directory is created), table `job_<jobId>` |
 * | `PATH` or `sqlite://PATH` | that SQLite file (one table per job, so jobs may share it); an existing directory, or `PATH/` (created), holds `<jobId>.sqlite` |
 * | `memory:` | `MemoryStateStore` (nothing is kept) |
 * | `redis://…`, `rediss://…` | `@keyv/redis` (installed separately), keys under `syncflow:<jobId>` |
 * | `postgres://…`, `postgresql://…` | `@keyv/postgres` (installed separately), table `syncflow_state` |
 *
 * @throws SyncError `USAGE` for an unknown scheme or a missing adapter package, `PERMISSION`
 * when the file cannot be created, `TRANSIENT` when a server cannot be reached.
 */
export async function openStateStore(location: string | undefined, opts: OpenStateStoreOptions): Promise<StateStore> {
  assertJobId(opts.jobId)
  if (location === undefined) {
    const dir = opts.stateDir ?? defaultStateDir()
    const file = defaultStateFile(opts.jobId, dir)
    await makeDirectories(dir, 0o700).catch((err: unknown) => {
      throw toStateError(err, 'state.open', dir)
    })
    return openSqliteStore(file, opts.jobId, opts.readOnly === true)
  }
  // (Refused here what no store takes: an unknown scheme, `sqlite:` without a file, `memory:…`.)
  checkStateLocation(location)
  const file = sqlitePathOf(location)
  if (file !== undefined) return openSqliteStore(await sqliteFile(file, opts.jobId), opts.jobId, opts.readOnly === true)
  const scheme = schemeOf(location)
  switch (scheme) {
    case 'memory':
      return new MemoryStateStore()
    case 'redis':
    case 'rediss': {
      const mod = await importAdapter<{
        createKeyv(
          connect: RedisConnectOptions,
          opts: { namespace: string; connectionTimeout: number; throwOnConnectError: boolean; throwOnErrors: boolean },
        ): Keyv
      }>('@keyv/redis')
      // node-redis tries a refused AUTH again until the connect timeout, then @keyv/redis throws its
      // own "not connected", which read as a server not running (QA 29c): the server's answer,
      // emitted on the way (WRONGPASS), is what the open fails with.
      let refusal: Error | undefined
      if (scheme === 'rediss') await assertSpeaksTls(location)
      return openNetworkStore(
        () => {
          // node-redis (as @keyv/redis sets it up) tries a refused connect again and again until the
          // connect timeout, so a server not running took 5 s to say so where a refused connection
          // is known at once (QA 32c); and a connection lost mid-run was tried again in the
          // background, requests waiting in a queue meanwhile, and its pending retry held the
          // process after the run. Nothing is tried again here: a request fails at once while the
          // server is down (a run then stops, see `acquireLease`), and @keyv/redis connects anew
          // for the next request.
          const keyv = mod.createKeyv(redisConnectOptions(location), {
            namespace: `syncflow:${opts.jobId}`,
            // An unreachable server fails the open instead of queueing requests while reconnecting
            // for ever; a failed read or write throws instead of passing for an empty answer.
            connectionTimeout: CONNECT_TIMEOUT_MS,
            throwOnConnectError: true,
            throwOnErrors: true,
          })
          keyv.deserialize = keyvDeserialize
          // @keyv/redis (5.1) races each connect against a timer it never clears: once connected,
          // that timer still held the process for the rest of the 5 s, so every CLI run with
          // --state redis:// ended ~3 s after its summary (bin.js's safety net), a library
          // script up to 5 s after close(). The same race with an unref'd timer: it still fails a
          // connect that hangs (the socket keeps the process alive), and holds nothing after.
          const adapter = keyv.store as { createTimeoutPromise?: (ms: number) => Promise<never> }
          if (typeof adapter.createTimeoutPromise === 'function') {
            adapter.createTimeoutPromise = (ms: number) =>
              new Promise<never>((_, reject) => {
                setTimeout(() => reject(new Error(`Redis timed out after ${ms}ms`)), ms).unref()
              })
          }
          // Any reply of the server's during the connect is its reason (QA 31d: a password the server
          // does not use, "ERR AUTH <password> called without any password configured", and a
          // database number it lacks, "ERR DB index is out of range", both read as a server not
          // running), and so is a host name that does not resolve.
          keyv.on('error', (err: unknown) => {
            if (refusal !== undefined || !(err instanceof Error)) return
            const code = (err as { code?: unknown }).code
            if (/^[A-Z]{2,}\b/.test(err.message) || code === 'ENOTFOUND' || code === 'EAI_AGAIN') refusal = err
          })
          return keyv
        },
        location,
        opts.requestTimeoutMs,
        (keyv, where) => {
          const store = keyv.store as { getClient(): Promise<Parameters<typeof redisLease>[0]> }
          const client = {
            eval: async (...a: Parameters<Parameters<typeof redisLease>[0]['eval']>) =>
              (await store.getClient()).eval(...a),
          }
          // Outside keyv's namespace: the key space of records and meta values is never touched.
          return redisLease(client, `syncflow-lock:${opts.jobId}`, where)
        },
        undefined,
        () => refusal,
        opts.signal,
      )
    }
    case 'postgres':
    case 'postgresql': {
      const mod = await importAdapter<{
        createKeyv(opts: { uri: string; table: string; keySize: number; connectionTimeoutMillis: number }): Keyv
      }>('@keyv/postgres')
      catchIdlePoolErrors()
      const namespace = `syncflow:${opts.jobId}`
      let refusal: Error | undefined
      // Once the open is over, the pool is no longer this listener's to end: @keyv/postgres keeps one
      // pool per process, the one of the last URL opened, whichever store's it is.
      let settled = false
      try {
        return await openNetworkStore(
          () => {
            // Paths can be long; Postgres indexes keys up to about 2,700 bytes.
            const keyv = sharePool(() =>
              mod.createKeyv({
                uri: pgSslModeSaid(location),
                table: 'syncflow_state',
                keySize: PG_KEY_SIZE,
                // pg waits for a server's answer to its startup message for ever: a URL at a server that
                // is not PostgreSQL (a Redis port) failed only at the first read's bound, and then held
                // the process, since the pool cannot end a connection still opening (QA 32c: 15 s).
                connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
              }),
            )
            keyv.namespace = namespace
            keyv.deserialize = keyvDeserialize
            // @keyv/postgres connects and makes its table as it is created, and only emits what fails
            // there: the first read then connects again, so a server that is down, refuses this user or
            // never answers (not PostgreSQL) cost two connects, and the second one outlived the open
            // (QA 32c). That failure is the open's: the pool ends at once (the read then fails without
            // connecting), and the failure is what the open reports. A refused CREATE (42xxx) is not:
            // the table may have been made for a user without CREATE rights.
            keyv.on('error', (err: unknown) => {
              if (settled || refusal !== undefined || !(err instanceof Error)) return
              if (/^42/.test(String((err as { code?: unknown }).code ?? ''))) return
              refusal = err
              void keyv.disconnect().catch(() => {})
            })
            return keyv
          },
          location,
          opts.requestTimeoutMs,
          (keyv, where) => {
            const store = keyv.store as { query: Parameters<typeof postgresLease>[0] }
            return postgresLease((sql, values) => store.query(sql, values), opts.jobId, where)
          },
          // The key column holds `<namespace>:file/<path>` (VARCHAR counts characters, never more
          // than the UTF-8 bytes counted here).
          PG_KEY_SIZE - Buffer.byteLength(`${namespace}:`, 'utf8'),
          () => refusal,
          opts.signal,
        )
      } finally {
        settled = true
      }
    }
    default:
      throw new SyncError('USAGE', `unknown state location scheme "${scheme}:" in --state ${redact(location)}`, {
        hint: STATE_HINT,
      })
  }
}

/**
 * How a Redis state store connects to `location`: once, no retry and no offline queue (see the
 * open's comments), within the connect timeout. The dry run's probe connects the same way.
 */
export function redisConnectOptions(location: string): RedisConnectOptions {
  return {
    url: location,
    disableOfflineQueue: true,
    socket: { connectTimeout: CONNECT_TIMEOUT_MS, reconnectStrategy: (_retries, cause) => cause },
  }
}

/** The scheme of a `--state` location, in lower case (`redis`, `postgres`), if it has one. */
export function schemeOf(location: string): string | undefined {
  return /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(location)?.[1]?.toLowerCase()
}

/**
 * The path a SQLite `--state` names (`PATH` or `sqlite://PATH`: the file, or a directory that holds
 * `<jobId>.sqlite`), as given; undefined for `memory:` and a server's URL.
 */
export function sqlitePathOf(location: string): string | undefined {
  const scheme = schemeOf(location)
  if (scheme === undefined) return location
  return scheme === 'sqlite' ? location.replace(/^sqlite:(\/\/)?/i, '') : undefined
}

/**
 * Refuses a `--state` value `openStateStore` could never open, for what it says alone (empty, an
 * unknown scheme, text after `memory:`, `sqlite:` without a file), without opening anything: the CLI
 * checks it as it reads its flags, since a dry run opens no store and passed `--state bogus://x`
 * that the real run then refused (QA 29b).
 * @throws SyncError `USAGE`
 */
export function checkStateLocation(location: string): void {
  if (location.trim() === '') {
    throw new SyncError('USAGE', 'empty --state location', { hint: STATE_HINT })
  }
  const scheme = schemeOf(location)
  switch (scheme) {
    case undefined:
    case 'redis':
    case 'rediss':
    case 'postgres':
    case 'postgresql':
      return
    case 'sqlite':
      if (sqlitePathOf(location) === '') {
        throw new SyncError('USAGE', `no file in --state ${location}`, { hint: STATE_HINT })
      }
      return
    case 'memory':
      if (!/^memory:(\/\/)?$/i.test(location)) {
        throw new SyncError('USAGE', `unexpected text after "memory:" in --state ${location}`, { hint: STATE_HINT })
      }
      return
    default:
      throw new SyncError('USAGE', `unknown state location scheme "${scheme}:" in --state ${redact(location)}`, {
        hint: STATE_HINT,
      })
  }
}

const STATE_HINT =
  'Give --state a file path, sqlite://PATH, memory:, redis://HOST[:PORT] or postgres://USER@HOST/DB (or use --no-state).'

/**
 * The SQLite file a location names. An existing directory, or a path written with a trailing
 * separator (created if needed), holds `<jobId>.sqlite`.
 */
/**
 * The SQLite file `openStateStore(location, { jobId })` would open, where it is there to be read
 * (undefined: a store of another kind, or one whose directory is missing, which only opening it
 * says as the run would). Makes nothing: a dry run asks whether the job has a store yet.
 */
export async function existingSqliteStateFile(
  location: string | undefined,
  jobId: string,
): Promise<string | undefined> {
  if (location === undefined) return defaultStateFile(jobId)
  const named = sqlitePathOf(location)
  if (named === undefined) return undefined
  const { file, slashed } = await sqliteFileNamed(named, jobId)
  // (A directory named with a trailing / is made by the open: missing, it holds no store yet.)
  return slashed || (await isDirectory(path.dirname(file))) ? file : undefined
}

const isDirectory = async (dir: string): Promise<boolean> =>
  (await fs.stat(dir).catch(() => undefined))?.isDirectory() === true

/**
 * The file a SQLite location names for job `jobId`: `<jobId>.sqlite` in a directory it names (by a
 * trailing `/`, `slashed`, or one that exists), else the file itself.
 */
async function sqliteFileNamed(location: string, jobId: string): Promise<{ file: string; slashed: boolean }> {
  const resolved = path.resolve(location)
  const slashed = /[/\\]$/.test(location)
  const inDir = slashed || (await isDirectory(resolved))
  return { file: inDir ? path.join(resolved, `${jobId}.sqlite`) : resolved, slashed }
}

async function sqliteFile(location: string, jobId: string): Promise<string> {
  const { file, slashed } = await sqliteFileNamed(location, jobId)
  const dir = path.dirname(file)
  if (slashed) {
    await makeDirectories(dir, 0o700).catch((err: unknown) => {
      throw toStateError(err, 'state.open', dir)
    })
    return file
  }
  // A file in a directory that is not there: SQLite said only "SQLITE_CANTOPEN: unable to open
  // database file", reported as PERMISSION, naming no directory (QA 32a: `--state jobs/x.sqlite`).
  if ((await fs.stat(dir).catch((err: NodeJS.ErrnoException) => err.code)) === 'ENOENT') {
    throw new SyncError('USAGE', `the state file's directory ${JSON.stringify(dir)} does not exist`, {
      op: 'state.open',
      path: file,
      hint: `Make it first (mkdir -p ${JSON.stringify(dir)}), or end --state with a / to name a directory of state files that syncflow makes.`,
    })
  }
  return file
}

/**
 * Each job has its own table (`job_<jobId>`), so one file given to several jobs with --state keeps
 * their records apart.
 */
async function openSqliteStore(file: string, jobId: string, readOnly: boolean): Promise<StateStore> {
  loadSqlite3()
  // Loaded here so that importing @syncflow/core does not load the sqlite3 native module.
  const { openSqliteKeyv } = await import('./sqlite-keyv.js')
  // A device, FIFO or socket (`--state /dev/null`) is no file SQLite can keep: it failed as
  // "SQLITE_IOERR: disk I/O error", called a bug in syncflow (QA 26).
  const st = await fs.stat(file).catch(() => undefined)
  if (st !== undefined && !st.isFile()) {
    throw new SyncError('USAGE', `the state location ${JSON.stringify(file)} is not a regular file`, {
      op: 'state.open',
      path: file,
      hint: 'Give --state a file (made if missing) or a directory, or run with --no-state or --state memory: to keep no state.',
    })
  }
  if (!readOnly) await assertSqliteWritable(file)
  try {
    // Table names allow only [A-Za-z0-9_]: other characters of the id are spelled `_<hex>`, one to one.
    const table = `job_${jobId.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16)}`)}`
    return createKeyvStateStore(await openSqliteKeyv(file, table), { location: file })
  } catch (err) {
    throw toStateError(err, 'state.open', file)
  }
}

/**
 * Refuses a state file, or a SQLite journal of it (`-wal`, `-shm`), that exists and this user may not
 * write. SQLite opens such a file read-only and reads from it, so the open succeeded and the first
 * write failed: a run copied everything it had to, then exited 1 saying "SQLITE_READONLY: attempt to
 * write a readonly database", with a hint about the directory (writable) and the state file (maybe
 * writable too: a journal left by a killed run as another user, root under sudo, was in the way).
 * @throws SyncError `PERMISSION` naming the file
 */
async function assertSqliteWritable(file: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm']) {
    const f = file + suffix
    const refusal = await fs.access(f, fs.constants.W_OK).then(
      () => undefined,
      (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : err),
    )
    if (refusal === undefined) continue
    const what = suffix === '' ? 'the state file' : `the state file's SQLite journal`
    throw new SyncError('PERMISSION', `${what} ${JSON.stringify(f)} cannot be written (${refusal.code})`, {
      op: 'state.open',
      path: f,
      cause: refusal,
      hint:
        suffix === ''
          ? 'Make it writable by this user (chmod u+w, or chown it: a run as another user made it), or point --state at another file.'
          : 'A run as another user (sudo?) left it: chown it to this user, or delete it if no run of this job is going (the next run re-verifies what it held).',
    })
  }
}

/**
 * Loads the sqlite3 native module with require() before anything imports it. An install whose
 * native build is missing then fails here as one clear error: through import(), Node 20 also leaves
 * a rejection of its own unhandled, which ends the process after the run with a stack trace.
 */
function loadSqlite3(): void {
  try {
    // From where @keyv/sqlite is, whose dependency it is (not core's): the copy it imports. From
    // core's own place, a pnpm install (which hoists nothing) had none, and npm's could find another.
    createRequire(import.meta.resolve('@keyv/sqlite'))('sqlite3')
  } catch (err) {
    if (outOfHandles(err)) throw outOfHandlesError(err, 'state.open')
    throw new SyncError('UNSUPPORTED', `the SQLite state store cannot be used: its native module does not load`, {
      op: 'state.open',
      cause: err,
      hint: 'Reinstall the dependencies (npm ci builds sqlite3 from source), or run with --no-state or --state memory:.',
    })
  }
}

/** The key column's size in the PostgreSQL table (`VARCHAR(n)`): longer paths get no record. */
const PG_KEY_SIZE = 2048

/** What `openStateStore` gives node-redis's `createClient` for a `redis://` or `rediss://` location. */
interface RedisConnectOptions {
  readonly url: string
  readonly disableOfflineQueue: boolean
  readonly socket: {
    readonly connectTimeout: number
    /** A delay in ms before the next try, or the error that ends the connect. */
    readonly reconnectStrategy: (retries: number, cause: Error) => number | Error
  }
}

/** How long an operation on a store on a server may wait for its answer (see `requestTimeoutMs`). */
const REQUEST_TIMEOUT_MS = 30_000

/** How long opening a state store on a server may take to connect. */
export const CONNECT_TIMEOUT_MS = 5000

/**
 * Opens a store on a server. `lease` gives its lock operations: several hosts may share such a store,
 * so the job's lock lives there too (`StateStore.lockJob`).
 */
async function openNetworkStore(
  create: () => Keyv,
  location: string,
  timeoutMs: number | undefined,
  lease: (keyv: Keyv, where: string) => LeasePrimitive,
  maxKeyBytes?: number,
  refusal?: () => Error | undefined,
  signal?: AbortSignal,
): Promise<StateStore> {
  const shown = redact(location)
  let store: StateStore | undefined
  // The first read is bounded by the connect timeout, the later ones by the request timeout.
  let opened = false
  const firstMs = CONNECT_TIMEOUT_MS + 1000
  /** The open's own stop (`untilAborted`'s), not a failure of the store's. */
  const stopped = (err: unknown): boolean => signal?.aborted === true && isSyncError(err) && err.code === 'ABORTED'
  try {
    // (Stopped before it began: nothing is connected.)
    const keyv = await untilAborted(async () => create(), signal, 'state.open', shown)
    store = createKeyvStateStore(keyv, {
      location: shown,
      lease: () => lease(keyv, shown),
      timeoutMs: () => (opened ? (timeoutMs ?? REQUEST_TIMEOUT_MS) : firstMs),
      ...(maxKeyBytes !== undefined ? { maxKeyBytes } : {}),
    })
    // A first read, so that an unreachable server or bad credentials fail here, once, clearly;
    // bounded (by the store itself, so that its close() after does not wait on it), since a client
    // may keep reconnecting without ever answering. A stop ends it at once, dropping the connect
    // still waiting, which otherwise held the process after the command had given up: forced
    // (node-redis's destroy(); pg's pool ended, its connections still opening destroyed: see
    // `sharePool`), since the store's own close() waits for the read in its queue, which waits for
    // the connect.
    const first = store.getMeta('schema')
    await untilAborted(() => first, signal, 'state.open', shown).catch((err: unknown) => {
      if (stopped(err))
        (keyv.store as { disconnect?: (force?: boolean) => Promise<void> }).disconnect?.(true).catch(() => {})
      throw err
    })
    opened = true
    return store
  } catch (err) {
    if (stopped(err)) {
      // Not waited for: it waits for the dropped read.
      store?.close().catch(() => {})
      throw err
    }
    await store?.close().catch(() => {})
    const failed = toStateError(refusal?.() ?? err, 'state.open', shown)
    // The first read is the open's: said as the open failing (as `probeStateServer`, which a dry
    // run asks instead, says it), not as a read of a store the user never saw open.
    if (failed.op !== 'state.getMeta') throw failed
    throw new SyncError(failed.code, bareMessage(failed), {
      op: 'state.open',
      path: shown,
      cause: failed.cause,
      ...(failed.hint !== undefined ? { hint: failed.hint } : {}),
    })
  }
}

/**
 * Refuses a `rediss://` location whose server answers a plain Redis command (`plainRedisAnswer`),
 * before node-redis's TLS handshake, which such a server never answers: it waited the whole connect
 * timeout (5 s), then said only "did not accept a TLS connection", and its socket, which no
 * disconnect reaches before the handshake, held the process as long again. Asked first, not beside
 * the open, for that socket; a server no connection reaches in the connect timeout fails as the
 * open would have (a TLS server costs one more round trip).
 * @throws SyncError `USAGE` (no TLS there), `TRANSIENT` (unreachable)
 */
export async function assertSpeaksTls(location: string): Promise<void> {
  const answer = await plainRedisAnswer(location, CONNECT_TIMEOUT_MS)
  if (answer === 'other') return
  const shown = redact(location)
  if (answer === 'no-connection') {
    throw toStateError(new Error(`failed to connect within ${CONNECT_TIMEOUT_MS / 1000} s`), 'state.open', shown)
  }
  throw new SyncError(
    'USAGE',
    `the Redis server at ${new URL(location).host} does not speak TLS, which rediss:// asks for`,
    {
      op: 'state.open',
      path: shown,
      hint: `Write redis:// for a server without TLS (--state ${shown.replace(/^rediss:/i, 'redis:')}), or enable TLS on the server (or run with --no-state).`,
    },
  )
}

/**
 * Imports an optional keyv adapter package.
 * @throws SyncError `USAGE` naming the package to install when it is missing.
 */
export async function importAdapter<T>(name: string): Promise<T> {
  try {
    // A variable specifier: these packages are optional, and not known to the type checker.
    const specifier: string = name
    return (await import(specifier)) as T
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String(err).includes(name)) {
      throw new SyncError('USAGE', `this --state location needs the package ${name}, which is not installed`, {
        cause: err,
        hint: adapterInstallHint(name, import.meta.url),
      })
    }
    throw err
  }
}
