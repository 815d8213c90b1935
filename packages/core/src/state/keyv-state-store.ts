import type Keyv from 'keyv'
import { SyncError } from '../errors/sync-error.js'
import type { RelPath } from '../model/rel-path.js'
import type { Fingerprint, StateRecord, StateStore } from './state-store.js'
import { acquireLease, type Lease, type LeaseOptions, type LeasePrimitive } from './store-lease.js'
import { toStateError } from './to-state-error.js'

/**
 * Records and job-level values share one key space, told apart by prefix. Neither prefix
 * contains `:`, so with any namespace other than one starting with `file/` or `meta/`, keyv's
 * `<namespace>:` prefixing can never be confused with one of ours.
 */
const RECORD_PREFIX = 'file/'
const META_PREFIX = 'meta/'

/**
 * Largest batch sent to the store in one call: one SQL statement (one transaction) for
 * `@keyv/sqlite`, one round trip for network stores. Bigger calls are split.
 */
export const STATE_BATCH_SIZE = 1000

/** How long `close` waits for a store's client to disconnect. */
const DISCONNECT_TIMEOUT_MS = 5000

/** Options of `createKeyvStateStore`. */
export interface KeyvStateStoreOptions {
  /** Shown in error messages (a file path or a URI without credentials); default `keyv`. */
  readonly location?: string
  /** The store's own lease operations, for `lockJob` (stores several hosts share). */
  readonly lease?: () => LeasePrimitive
  /**
   * How long one operation may wait for the store's answer, in ms; none by default. A store on a
   * server that stops answering (its host frozen, a firewall dropping packets: the connection stays
   * open) left a call waiting for ever, and with it the run, even after Ctrl-C (QA 26). Past it,
   * the operation fails, and so does every later one at once: the run's state is not saved, which
   * the next run re-verifies. A function is asked at each operation.
   */
  readonly timeoutMs?: number | (() => number)
  /**
   * The longest record key (`file/<path>`, in UTF-8 bytes) the store can keep, where it has a limit
   * (PostgreSQL's key column). A longer path gets no record: it is compared on every run, as with
   * `--no-state`, instead of failing the whole batch beside it.
   */
  readonly maxKeyBytes?: number
}

/**
 * A StateStore over any keyv instance (SQLite, Redis, Postgres…). Reads and writes go to the
 * store in batches of at most `STATE_BATCH_SIZE`, and one at a time, so each read sees every
 * earlier write and `close()` returns only after all of them are done. Values are JSON.
 *
 * Sets `keyv.throwOnErrors`: keyv otherwise reports a failed write only as an event, and a state
 * store that silently loses writes would make the next run trust stale state.
 */
export function createKeyvStateStore(keyv: Keyv, options: KeyvStateStoreOptions = {}): StateStore {
  const store = new KeyvStateStore(keyv, options.location ?? 'keyv', options.timeoutMs, options.maxKeyBytes)
  const lease = options.lease
  if (lease) store.lockJob = (opts) => store.takeLease(lease, opts)
  return store
}

class KeyvStateStore implements StateStore {
  readonly #keyv: Keyv
  readonly #location: string
  // The tail of the queue of operations; each starts when the one before it has settled.
  #tail: Promise<unknown> = Promise.resolve()
  #closed = false
  #lease: Lease | undefined
  readonly #timeoutMs: number | (() => number) | undefined
  // Set once an operation got no answer in time: the store is not answering, so later ones fail at once.
  #unanswered: SyncError | undefined
  readonly #maxKeyBytes: number | undefined
  lockJob?: (opts?: LeaseOptions) => Promise<void>

  constructor(keyv: Keyv, location: string, timeoutMs?: number | (() => number), maxKeyBytes?: number) {
    const ns = keyv.namespace
    if (keyv.useKeyPrefix && ns && (ns.startsWith(RECORD_PREFIX) || ns.startsWith(META_PREFIX))) {
      throw new SyncError('USAGE', `keyv namespace ${JSON.stringify(ns)} clashes with syncflow's key prefixes`, {
        hint: `Use a namespace that does not start with "${RECORD_PREFIX}" or "${META_PREFIX}".`,
      })
    }
    keyv.throwOnErrors = true
    // A value that is not JSON (a state file damaged on disk, a key another program wrote) fails
    // keyv's whole getMany, which ended every run as "a bug in syncflow" until the file was deleted
    // by hand (QA 26): it is read as no value, so that path is compared and recorded anew.
    const deserialize = keyv.deserialize
    if (deserialize) {
      keyv.deserialize = async (data) => {
        try {
          return await deserialize(data)
        } catch {
          return undefined
        }
      }
    }
    this.#keyv = keyv
    this.#location = location
    this.#timeoutMs = timeoutMs
    this.#maxKeyBytes = maxKeyBytes
  }

  /**
   * True when the store can keep a record for `path`. A key longer than its column (PostgreSQL's
   * VARCHAR(2048): a local tree's path may be 4,000 bytes long) failed the whole batch it was in,
   * so that a run exited 1 ("a bug in syncflow") and saved none of up to 1,000 other records.
   */
  #keyFits(path: RelPath): boolean {
    return this.#maxKeyBytes === undefined || Buffer.byteLength(RECORD_PREFIX + path, 'utf8') <= this.#maxKeyBytes
  }

  getMany(paths: readonly RelPath[]): Promise<(StateRecord | undefined)[]> {
    return this.#run('getMany', async () => {
      const out: (StateRecord | undefined)[] = new Array(paths.length).fill(undefined)
      // (A path too long for a key has no record: not asked for, see #keyFits.)
      const asked = [...paths.keys()].filter((i) => this.#keyFits(paths[i] as RelPath))
      for (const chunk of chunks(asked)) {
        const values = await this.#keyv.getMany<StateRecord>(chunk.map((i) => RECORD_PREFIX + paths[i]))
        // A record of another shape (damaged, or written by something else) is no record: trusted,
        // it failed its file on every run with a TypeError ("Cannot read properties of undefined").
        for (const [j, value] of values.entries()) out[chunk[j] as number] = isStateRecord(value) ? value : undefined
      }
      return out
    })
  }

  setMany(records: readonly (readonly [RelPath, StateRecord])[]): Promise<void> {
    return this.#run('setMany', async () => {
      // The last record of a path wins. Adapters that write a batch as one statement refuse a key
      // twice in it (PostgreSQL: "ON CONFLICT DO UPDATE command cannot affect row a second time"),
      // so duplicates are dropped here, keeping the order of the rest.
      const last = new Map<RelPath, StateRecord>()
      for (const [path, record] of records) {
        if (!this.#keyFits(path)) continue
        last.delete(path)
        last.set(path, record)
      }
      for (const chunk of chunks([...last])) {
        await this.#keyv.setMany(chunk.map(([path, value]) => ({ key: RECORD_PREFIX + path, value })))
      }
    })
  }

  deleteMany(paths: readonly RelPath[]): Promise<void> {
    return this.#run('deleteMany', async () => {
      const fit = paths.filter((p) => this.#keyFits(p))
      for (const chunk of chunks(fit)) await this.#keyv.deleteMany(chunk.map((p) => RECORD_PREFIX + p))
    })
  }

  getMeta<T = unknown>(key: string): Promise<T | undefined> {
    return this.#run('getMeta', async () => (await this.#keyv.get<T>(META_PREFIX + key)) as T | undefined)
  }

  setMeta(key: string, value: unknown): Promise<void> {
    return this.#run('setMeta', async () => {
      // `undefined` has no JSON form: storing it means "no value".
      if (value === undefined) await this.#keyv.delete(META_PREFIX + key)
      else await this.#keyv.set(META_PREFIX + key, value)
    })
  }

  deleteMeta(key: string): Promise<void> {
    return this.#run('deleteMeta', async () => {
      await this.#keyv.delete(META_PREFIX + key)
    })
  }

  /** Takes the job's lease through `primitive`; `close()` releases it. */
  async takeLease(primitive: () => LeasePrimitive, opts?: LeaseOptions): Promise<void> {
    if (this.#lease) return
    try {
      this.#lease = await acquireLease(primitive(), opts)
    } catch (err) {
      if (err instanceof SyncError) throw err
      throw toStateError(err, 'state.lock', this.#location)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return this.#tail.then(() => undefined)
    this.#closed = true
    const lease = this.#lease
    this.#lease = undefined
    // Let every queued write finish before the lock that protects them goes, then the connection.
    const done = this.#tail.then(async () => {
      await lease?.release()
      // Bounded: a client whose server went away may wait for ever to say goodbye (node-redis
      // reconnecting), and the run is over; what could be saved was.
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        this.#keyv.disconnect(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, DISCONNECT_TIMEOUT_MS)
        }),
      ]).finally(() => clearTimeout(timer))
    })
    this.#tail = done.catch(() => undefined)
    try {
      await done
    } catch (err) {
      throw toStateError(err, 'state.close', this.#location)
    }
  }

  #run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(
        new SyncError('UNKNOWN', 'state store used after close()', {
          op: `state.${op}`,
          hint: 'This looks like a bug in syncflow: please report it with the output of -v.',
        }),
      )
    }
    if (this.#unanswered) return Promise.reject(this.#unanswered)
    const result = this.#tail
      .then(() => this.#bounded(op, fn()))
      .catch((err: unknown) => {
        const e = toStateError(err, `state.${op}`, this.#location)
        // The store may be gone: the lease finds out now, not at its next renewal (up to 10 s of a
        // run copying on without its state being saved), and stops the run if so.
        if (e.code === 'TRANSIENT') this.#lease?.check()
        throw e
      })
    this.#tail = result.catch(() => undefined)
    return result
  }

  /** `work`, failed with a timeout (and the store marked unanswering) past `timeoutMs`. */
  #bounded<T>(op: string, work: Promise<T>): Promise<T> {
    const ms = typeof this.#timeoutMs === 'function' ? this.#timeoutMs() : this.#timeoutMs
    if (ms === undefined) return work
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = Object.assign(new Error(`no answer within ${ms / 1000} s`), { code: 'ETIMEDOUT' })
        this.#unanswered = toStateError(err, `state.${op}`, this.#location)
        reject(this.#unanswered)
      }, ms)
    })
    // The call itself may still settle later: its outcome is no longer awaited.
    work.catch(() => {})
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
  }
}

/** True when `value` has the shape of a `StateRecord` (what `recordMatches` and `decide` read). */
function isStateRecord(value: unknown): value is StateRecord {
  const v = value as Partial<Record<keyof StateRecord, unknown>> | null | undefined
  return (
    typeof v === 'object' && v !== null && isFingerprint(v.source) && isFingerprint(v.target) && isNumber(v.syncedAt)
  )
}

function isFingerprint(value: unknown): boolean {
  const f = value as Partial<Record<keyof Fingerprint, unknown>> | null | undefined
  return (
    typeof f === 'object' &&
    f !== null &&
    isNumber(f.size) &&
    isNumber(f.mtimeMs) &&
    (f.version === undefined || typeof f.version === 'string') &&
    (f.hash === undefined || typeof f.hash === 'string') &&
    (f.mode === undefined || isNumber(f.mode))
  )
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += STATE_BATCH_SIZE) yield items.slice(i, i + STATE_BATCH_SIZE)
}
