import { createRequire } from 'node:module'
import { isSyncError } from '../errors/sync-error.js'
import { redactLocation as redact } from '../util/redact-location.js'
import { untilAborted } from '../util/until-aborted.js'
import {
  assertSpeaksTls,
  CONNECT_TIMEOUT_MS,
  checkStateLocation,
  importAdapter,
  redisConnectOptions,
  schemeOf,
} from './open-state-store.js'
import { pgSslModeSaid } from './pg-ssl-mode.js'
import { toStateError } from './to-state-error.js'

/** The part of a node-redis client used here. */
interface RedisClient {
  on(event: 'error', listener: (err: unknown) => void): void
  connect(): Promise<unknown>
  ping(): Promise<unknown>
  destroy(): void
  readonly isOpen: boolean
}

/** The part of a pg Client used here. */
interface PgClient {
  on(event: 'error', listener: (err: unknown) => void): void
  connect(): Promise<void>
  query(sql: string): Promise<unknown>
  end(): Promise<void>
  /** pg's connection (not a documented part of its API: read with care). */
  readonly connection?: { readonly stream?: { destroy(): void } }
}

/**
 * Asks the state server a `--state` location names whether it can be used, as `openStateStore`
 * would find it, creating and writing nothing: it connects as the open does (the same URL, TLS and
 * credentials, the same connect timeout) and asks the least the server answers (Redis `PING`,
 * PostgreSQL `SELECT 1`), then disconnects. A dry run asks this instead of opening the store,
 * whose open makes PostgreSQL's table where it is missing (@keyv/postgres). Resolves at once for a
 * location on no server (a SQLite file, `memory:`).
 * @throws SyncError as `openStateStore` would for that server: `TRANSIENT` (unreachable), `AUTH`
 * (credentials refused), `USAGE` (no such database, no TLS there, a missing adapter package);
 * `ABORTED` once `signal` stops it (its connection dropped).
 */
export async function probeStateServer(location: string, signal?: AbortSignal): Promise<void> {
  checkStateLocation(location)
  const scheme = schemeOf(location)
  if (scheme === 'redis' || scheme === 'rediss') return probeRedis(location, scheme === 'rediss', signal)
  if (scheme === 'postgres' || scheme === 'postgresql') return probePostgres(location, signal)
}

/**
 * `asked`, unless `signal` stops it first (`untilAborted`): then `drop` ends its connection (left
 * waiting, a server that never answers held the process for the rest of the connect timeout after
 * a Ctrl-C) and the probe fails `ABORTED`.
 */
function untilStopped(asked: Promise<void>, signal: AbortSignal | undefined, drop: () => void, location: string) {
  return untilAborted(() => asked, signal, 'state.open', redact(location)).catch((err: unknown) => {
    if (signal?.aborted === true && isSyncError(err) && err.code === 'ABORTED') drop()
    throw err
  })
}

async function probeRedis(location: string, tls: boolean, signal?: AbortSignal): Promise<void> {
  // The client of the adapter the real run uses: a missing package is said the same way.
  const { createClient } = await importAdapter<{ createClient(options: object): RedisClient }>('@keyv/redis')
  if (tls) await assertSpeaksTls(location)
  // As `openStateStore` connects: once, no retry, no queue (a request fails while not connected).
  const client = createClient(redisConnectOptions(location))
  // The server's own reason (WRONGPASS, a database number it lacks) comes as an 'error' event on
  // the way, before connect() fails with less; without a listener it would end the process.
  let refusal: unknown
  client.on('error', (err) => {
    refusal ??= err
  })
  // node-redis bounds the TCP connect only: a server that accepts and never answers (not Redis, a
  // stalled one) held the PING, and the dry run, for ever, where the open gives up after the connect
  // timeout (@keyv/redis's race). The same bound, and the open's words for it ("failed to connect").
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the Redis client failed to connect in ${CONNECT_TIMEOUT_MS} ms`)),
      CONNECT_TIMEOUT_MS,
    )
  })
  const asked = (async () => {
    await client.connect()
    await client.ping()
  })()
  // Rejects too once destroy() ends a PING left waiting: nothing to say then.
  asked.catch(() => {})
  try {
    await untilStopped(
      Promise.race([asked, timedOut]),
      signal,
      () => {
        if (client.isOpen) client.destroy()
      },
      location,
    )
  } catch (err) {
    if (isSyncError(err) && err.code === 'ABORTED') throw err
    throw toStateError(refusal ?? err, 'state.open', redact(location))
  } finally {
    clearTimeout(timer)
    // A client whose connect failed is closed already, and destroy() would throw for it.
    if (client.isOpen) client.destroy()
  }
}

async function probePostgres(location: string, signal?: AbortSignal): Promise<void> {
  await importAdapter('@keyv/postgres')
  // The pg @keyv/postgres loads (it is that package's dependency, not ours).
  const pg = createRequire(import.meta.resolve('@keyv/postgres'))('pg') as {
    Client: new (config: object) => PgClient
  }
  const client = new pg.Client({
    connectionString: pgSslModeSaid(location),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    query_timeout: CONNECT_TIMEOUT_MS,
  })
  // A connection dropped after connecting is an 'error' event; the query fails with it.
  client.on('error', () => {})
  try {
    const asked = (async () => {
      await client.connect()
      await client.query('SELECT 1')
    })()
    asked.catch(() => {})
    // pg's end() waits for a connect still opening (until its connect timeout): its socket goes.
    await untilStopped(asked, signal, () => client.connection?.stream?.destroy(), location)
  } catch (err) {
    if (isSyncError(err) && err.code === 'ABORTED') throw err
    throw toStateError(err, 'state.open', redact(location))
  } finally {
    await client.end().catch(() => {})
  }
}
