import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { bareMessage, SyncError } from '../errors/sync-error.js'
import { goneFromThisHost, type LockHolder, ownIdentity } from '../job/process-identity.js'
import { stateTimedOut, toStateError } from './to-state-error.js'

/**
 * The atomic operations a shared store offers for a lease (Redis, PostgreSQL). `value` identifies
 * the holder (JSON with a random token), so only the holder renews or releases.
 */
export interface LeasePrimitive {
  /** Where the lease lives, for messages (a URI without credentials, and the key or row). */
  readonly where: string
  /** Takes the lease if nobody holds it (or its holder's lease expired): true; else the holder's value. */
  take(value: string, ttlMs: number): Promise<true | string | undefined>
  /**
   * Extends the lease if `value` still holds it: false when it was lost; `'gone'` when it is lost
   * because nobody holds it any more (deleted, or the server restarted without its data).
   */
  renew(value: string, ttlMs: number): Promise<boolean | 'gone'>
  /** Takes the lease from `held` (its holder found gone) if `held` still holds it: true; else false. */
  takeOver(held: string, value: string, ttlMs: number): Promise<boolean>
  /** Ends the lease if `value` holds it. */
  release(value: string): Promise<void>
}

/** Options of `acquireLease`. */
export interface LeaseOptions {
  /** Called once if the lease is lost while held (it expired and another run took it). */
  readonly onLost?: (err: SyncError) => void
  /** How long the lease lasts unless renewed, in ms. [30 s] */
  readonly ttlMs?: number
}

/** How soon a renewal that found the store gone is tried again, before the run stops. */
const GONE_RETRY_MS = 250

/** A held lease: renewed in the background until released. */
export interface Lease {
  /**
   * Renews now, not at the next tick: for when the store was just seen failing (a state write that
   * could not reach it), so that a store gone away stops the run at once (see `acquireLease`).
   */
  check(): void
  /** Stops renewing and ends the lease. Idempotent; never throws. */
  release(): Promise<void>
}

/** What a lease value holds (JSON), as a lock file does. */
interface Holder extends LockHolder {
  readonly startedAt: string
  readonly token: string
}

/**
 * Takes the job's lease in a shared state store, the lock that keeps two hosts sharing one job from
 * running it at once (the lock file only sees runs of the same host). A run that dies leaves a lease
 * that expires after `ttlMs`; a live run renews it every third of that, in the background.
 * @throws SyncError `LOCKED` when another run holds it.
 */
export async function acquireLease(primitive: LeasePrimitive, opts: LeaseOptions = {}): Promise<Lease> {
  const ttlMs = opts.ttlMs ?? 30_000
  const holder: Holder = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    token: randomBytes(12).toString('hex'),
    ...ownIdentity(),
  }
  const value = JSON.stringify(holder)
  // A holder whose lease expires between our take and our read of it: try again (twice is plenty).
  let racesLost = 0
  for (let attempt = 0; ; attempt++) {
    const taken = await primitive.take(value, ttlMs)
    if (taken === true) break
    // A run of this host killed (kill -9, OOM, a crash) left its lease: it kept every later run
    // out for the rest of it, up to 30 s, though this host can tell its holder is gone, as the lock
    // file's is. Taken over only if that holder still holds it (another run may have, meanwhile).
    // Taken over by another run meanwhile: asked again, so that the error names that one. After
    // the last race lost, asked once more all the same: the refusal named the gone holder the race
    // was about, not the run that won it (review 33).
    if (taken !== undefined && heldByGone(taken)) {
      if (racesLost === MAX_RACES) throw racesLostError(primitive.where, racesLost, taken)
      if (await primitive.takeOver(taken, value, ttlMs)) break
      racesLost++
      continue
    }
    if (taken !== undefined || attempt >= 2) throw lockedError(primitive.where, taken)
  }
  let released = false
  let renewing: Promise<void> | undefined
  /** The last renewal found the store gone (refused, dropped): one more try, soon, decides. */
  let goneOnce = false
  // Since when the lease is known to be ours: taken, or last renewed (counted from the request).
  let confirmedAt = Date.now()
  const stop = (err: SyncError): void => {
    if (released) return
    released = true
    clearInterval(timer)
    opts.onLost?.(err)
  }
  const lost = (
    why: string,
    hint = 'This run stopped so that two runs never write at once. Run the job again once the other run is done.',
  ): void =>
    stop(
      new SyncError('LOCKED', `the job lock in the shared state store was lost: ${why}`, {
        path: primitive.where,
        hint,
      }),
    )
  const period = Math.max(10, Math.floor(ttlMs / 3))
  const renew = (): void => {
    if (released) return
    // Cut off from the store for a whole lease: it may have expired there and been taken by another
    // host, which nobody could tell this run. It stops rather than write beside that one.
    if (Date.now() - confirmedAt >= ttlMs) {
      // Said as the store's silence, not as another run's doing: a frozen or overloaded server
      // (SIGSTOP, a network that drops packets) read as "once the other run is done", and there was
      // none to wait for (QA 32c).
      lost(
        `no renewal reached the store for ${ttlMs / 1000} s (the state server does not answer: stopped, overloaded or cut off by the network), so the lock may have expired there and another run may hold it now`,
        'This run stopped so that two runs never write at once. Check that the state server answers (or run with --no-state), then run the job again.',
      )
      return
    }
    if (renewing !== undefined) return // one renewal at a time; a hung one is caught above
    const asked = Date.now()
    renewing = primitive
      .renew(value, ttlMs)
      .then(
        (held) => {
          goneOnce = false
          if (held === true) confirmedAt = asked
          // Gone is not "taken": nobody holds it now, but another run may have held it in between,
          // so this run still stops. It said "another run took it" after a Redis restart without
          // persistence, and users went looking for that run (QA 31d).
          else if (held === 'gone') {
            lost(
              'it is no longer in the store (the server restarted without its data, or the lock was deleted), so another run may have taken it since',
            )
          } else lost('another run took it')
        },
        // A store that refuses the connection or drops it (stopped, killed, restarting) stops the
        // run now: it went on copying for the rest of the lease, up to 30 s, its state writes
        // failing, and then said the lock "may" be another run's (QA 32c). Any other failure (an
        // answer that is no answer in time) is tried again at the next tick; the lease outlives two
        // missed ones, and a run cut off for a whole lease stops (above).
        // Only a store found gone twice in a row, a moment apart, stops the run now: one dropped
        // connection (a restart, a failover, a client still connecting) may be back at the next
        // try, and a timeout (a slow connect, a DNS blip) is no answer in time, left to the
        // whole-lease rule above (review 32 M2: one slow connect stopped a healthy watch).
        (err: unknown) => {
          const e = toStateError(err, 'state.lock', primitive.where)
          if (e.code !== 'TRANSIENT' || stateTimedOut(err)) {
            goneOnce = false
            return
          }
          if (!goneOnce) {
            goneOnce = true
            setTimeout(renew, GONE_RETRY_MS).unref()
            return
          }
          stop(
            new SyncError('TRANSIENT', `the shared state store went away during the run: ${bareMessage(e)}`, {
              op: 'state.lock',
              path: primitive.where,
              cause: err,
              hint: 'The run stopped, since it can no longer hold the job lock there: nothing was deleted after this, and what it copied stays (the next run compares it again). Check that the state server is running, then run the job again (or run it with --no-state).',
            }),
          )
        },
      )
      .finally(() => {
        renewing = undefined
      })
  }
  const timer = setInterval(renew, period)
  // Renewal never keeps the process alive on its own.
  timer.unref()
  return {
    check: renew,
    async release() {
      if (released) return
      released = true
      clearInterval(timer)
      // Bounded: a store that no longer answers must not hold up the end of the run (the lease
      // then expires on its own).
      const bound = new Promise<void>((resolve) => setTimeout(resolve, Math.max(1000, ttlMs / 3)).unref())
      await Promise.race([
        (async () => {
          await renewing
          await primitive.release(value).catch(() => {})
        })(),
        bound,
      ])
    },
  }
}

/**
 * Whether the lease value `held` names a holder known to be gone from this host. Only values that
 * say which boot, start and pid namespace (this version's) are judged: an older holder's pid alone
 * could be another process's by now.
 */
function heldByGone(held: string): boolean {
  let h: Partial<Holder>
  try {
    h = JSON.parse(held) as Partial<Holder>
  } catch {
    return false
  }
  if (typeof h.pid !== 'number' || typeof h.host !== 'string') return false
  if (typeof h.boot !== 'string' || typeof h.startTicks !== 'string' || typeof h.pidns !== 'string') return false
  return goneFromThisHost({ pid: h.pid, host: h.host, boot: h.boot, startTicks: h.startTicks, pidns: h.pidns })
}

/** How many takeovers of a gone run's lease, lost to another run each time, a run tries before it gives up. */
const MAX_RACES = 3

/** Who holds a lease, as its value says: `pid N on HOST since T`, or `another run`. */
function holderOf(holderValue: string | undefined): string {
  try {
    const h = JSON.parse(holderValue ?? '') as Partial<Holder>
    if (typeof h.pid === 'number' && typeof h.host === 'string') {
      return `pid ${h.pid} on ${h.host}${typeof h.startedAt === 'string' ? ` since ${h.startedAt}` : ''}`
    }
  } catch {}
  return 'another run'
}

/**
 * The refusal after `races` takeovers lost in a row, the lease now a gone run's again: runs of this
 * host start and die one after the other, each taking it over first (a service restarted in a loop).
 */
function racesLostError(where: string, races: number, holderValue: string): SyncError {
  return new SyncError(
    'LOCKED',
    `the lock for this job in the shared state store was left by a run of this host that is gone, and another run took it over first, ${races} times in a row; it is held by a gone run again now (${holderOf(holderValue)})`,
    {
      path: where,
      hint: 'Runs of this job are started on this host again and again, and stop at once (a service restarting in a loop?): check what starts them, then run the job again.',
    },
  )
}

function lockedError(where: string, holderValue: string | undefined): SyncError {
  const who = holderOf(holderValue)
  return new SyncError(
    'LOCKED',
    `another syncflow run holds the lock for this job in the shared state store (${who})`,
    {
      path: where,
      hint: 'Wait for that run to finish: its lock expires within 30 s of it stopping, even if it was killed (a run of this host found dead is not waited for).',
    },
  )
}

/** The lease primitive of a Redis client (node-redis v4/v5: `eval(script, { keys, arguments })`). */
export function redisLease(
  client: { eval(script: string, opts: { keys: string[]; arguments: string[] }): Promise<unknown> },
  key: string,
  where: string,
): LeasePrimitive {
  // Each operation is one script: atomic on the server, whatever other clients do meanwhile.
  const TAKE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return redis.call('GET', KEYS[1])`
  const RENEW = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not v then return -1 end
return 0`
  const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`
  const TAKE_OVER = `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 end
return 0`
  return {
    where: `${where} (key ${key})`,
    async take(value, ttlMs) {
      const r = await client.eval(TAKE, { keys: [key], arguments: [value, String(ttlMs)] })
      return r === 1 ? true : typeof r === 'string' ? r : undefined
    },
    async renew(value, ttlMs) {
      const r = await client.eval(RENEW, { keys: [key], arguments: [value, String(ttlMs)] })
      return r === 1 ? true : r === -1 ? 'gone' : false
    },
    async takeOver(held, value, ttlMs) {
      return (await client.eval(TAKE_OVER, { keys: [key], arguments: [held, value, String(ttlMs)] })) === 1
    },
    async release(value) {
      await client.eval(RELEASE, { keys: [key], arguments: [value] })
    },
  }
}

/** The lease primitive of a PostgreSQL connection pool: one row per job in `syncflow_locks`. */
export function postgresLease(
  query: (sql: string, values?: unknown[]) => Promise<Record<string, unknown>[]>,
  job: string,
  where: string,
): LeasePrimitive {
  let table: Promise<void> | undefined
  const ensureTable = (): Promise<void> => {
    table ??= query(
      'CREATE TABLE IF NOT EXISTS syncflow_locks (job TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)',
    ).then(
      () => undefined,
      // Two first runs creating it at once: one of them gets a unique violation; the table is there.
      async (err: unknown) => {
        if ((err as { code?: unknown }).code !== '23505') throw err
      },
    )
    return table
  }
  return {
    where: `${where} (table syncflow_locks, job ${job})`,
    async take(value, ttlMs) {
      await ensureTable()
      // One statement: insert, or take over an expired row; a live one is left and read back.
      const rows = await query(
        `INSERT INTO syncflow_locks (job, holder, expires_at) VALUES ($1, $2, now() + $3::double precision * interval '1 millisecond')
         ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
         WHERE syncflow_locks.expires_at < now()
         RETURNING holder`,
        [job, value, ttlMs],
      )
      if (rows.length > 0) return true
      const current = await query('SELECT holder FROM syncflow_locks WHERE job = $1', [job])
      const h = current[0]?.holder
      return typeof h === 'string' ? h : undefined
    },
    async renew(value, ttlMs) {
      const rows = await query(
        `UPDATE syncflow_locks SET expires_at = now() + $3::double precision * interval '1 millisecond'
         WHERE job = $1 AND holder = $2 RETURNING job`,
        [job, value, ttlMs],
      )
      if (rows.length > 0) return true
      const current = await query('SELECT holder FROM syncflow_locks WHERE job = $1', [job])
      return current.length === 0 ? 'gone' : false
    },
    async takeOver(held, value, ttlMs) {
      const rows = await query(
        `UPDATE syncflow_locks SET holder = $3, expires_at = now() + $4::double precision * interval '1 millisecond'
         WHERE job = $1 AND holder = $2 RETURNING job`,
        [job, held, value, ttlMs],
      )
      return rows.length > 0
    },
    async release(value) {
      await query('DELETE FROM syncflow_locks WHERE job = $1 AND holder = $2', [job, value])
    },
  }
}
