import { createRequire } from 'node:module'

/** The part of a pg Pool used here. */
interface Pool {
  on(event: 'error', listener: (err: unknown) => void): void
  end(): Promise<void>
}

/** The part of a pg Client used here. */
interface Client {
  once(event: 'connect' | 'end', listener: () => void): void
  /** pg's connection (not a documented part of its API, but the one pg-pool's own timeout ends). */
  readonly connection?: { readonly stream?: { destroy(): void } }
}
type ClientClass = new (...args: unknown[]) => Client

/** What is kept on the pg module @keyv/postgres loads (shared by every copy of this module in the process). */
interface Patched {
  /** The pool made last, by the KeyvPostgres made last that made one. */
  last?: Pool
  /** The pool of the KeyvPostgres made last: the one @keyv/postgres holds now (see `sharePool`). */
  current?: Pool
  /** Stores open on each pool. */
  readonly users: Map<Pool, number>
  /** Each pool's clients still connecting (absent where an older copy of this module patched pg). */
  readonly opening?: WeakMap<Pool, Set<Client>>
}

const PATCHED = Symbol.for('syncflow.pgPoolErrors')
type PgModule = { Pool: new (...args: unknown[]) => Pool; Client: ClientClass; [PATCHED]?: Patched }

/**
 * pg's Pool emits 'error' when an idle connection drops (the server restarted, the network blipped),
 * and an 'error' event nobody listens to ends the process with a stack trace. @keyv/postgres keeps
 * its Pool to itself, so the Pool class it uses (its own `pg`, read at each `new pg.Pool`) gets a
 * listener: the dropped connection is gone from the pool, and the next query opens a new one (or
 * fails as a state store error, which the run reports). Each pool made is noted, for `sharePool`,
 * and so are its clients still connecting (through pg-pool's `Client` option), for a forced close.
 */
export function catchIdlePoolErrors(): void {
  try {
    const pg = createRequire(import.meta.resolve('@keyv/postgres'))('pg') as PgModule
    if (pg[PATCHED]) return
    const patched: Patched = { users: new Map(), opening: new WeakMap() }
    const Base = pg.Pool
    pg.Pool = class extends Base {
      constructor(...args: unknown[]) {
        const [options, ...rest] = args
        const given = options as { Client?: ClientClass } | undefined
        const opening = new Set<Client>()
        super({ ...given, Client: noteOpening(given?.Client ?? pg.Client, opening) }, ...rest)
        this.on('error', () => {})
        patched.last = this
        patched.opening?.set(this, opening)
      }
    }
    pg[PATCHED] = patched
  } catch {
    // pg not where @keyv/postgres would load it from: nothing to patch (it loads its own then).
  }
}

/**
 * Makes closing the store `make` returns (a Keyv over a KeyvPostgres) end its own pool, once no
 * other open store uses it, and nothing else. @keyv/postgres keeps one pool per process, the one
 * of the URL opened last, shared by every store of that URL, and its `disconnect` ends that one,
 * whichever store's it is: a script with two stores open (two jobs) that closed one broke the
 * other's ("Cannot use a pool after calling end on the pool"), and closing that one then failed as
 * "a bug in syncflow" (calling end twice). A store keeps the pool it was made with (its queries go
 * to that one), so it is known here by which pool was made, or was current, as it was made.
 */
export function sharePool<K extends { store: unknown }>(make: () => K): K {
  let pg: PgModule | undefined
  try {
    pg = createRequire(import.meta.resolve('@keyv/postgres'))('pg') as PgModule
  } catch {}
  const patched = pg?.[PATCHED]
  const before = patched?.last
  const keyv = make()
  if (patched === undefined) return keyv
  const pool = patched.last !== before ? patched.last : patched.current
  if (pool === undefined) return keyv
  patched.current = pool
  patched.users.set(pool, (patched.users.get(pool) ?? 0) + 1)
  const store = keyv.store as { disconnect(force?: boolean): Promise<void> }
  const disconnect = store.disconnect.bind(store)
  let closed = false
  // `force` (an open given up on: a Ctrl-C) also drops the connections still opening: pg's end()
  // waits for them, and a server that never answers held the process until pg's connect timeout.
  store.disconnect = async (force?: boolean) => {
    if (closed) return
    closed = true
    const left = (patched.users.get(pool) ?? 1) - 1
    if (left > 0) {
      patched.users.set(pool, left)
      return
    }
    patched.users.delete(pool)
    // Each fails its connect ("Connection terminated"), so its queries fail and the pool lets it go.
    if (force === true) for (const client of patched.opening?.get(pool) ?? []) client.connection?.stream?.destroy()
    // The pool @keyv/postgres holds: its own disconnect ends it and forgets it, so that the next
    // store of that URL makes a new one. Another (a later store of another URL took its place):
    // @keyv/postgres no longer knows it, so it is ended here.
    if (pool === patched.current) {
      patched.current = undefined
      await disconnect()
    } else await pool.end()
  }
  return keyv
}

/**
 * `Client`, noting in `opening` each client it makes from its construction until it has connected
 * or its connection has ended.
 */
function noteOpening(Base: ClientClass, opening: Set<Client>): ClientClass {
  return class extends Base {
    constructor(...args: unknown[]) {
      super(...args)
      opening.add(this)
      const done = (): void => {
        opening.delete(this)
      }
      this.once('connect', done)
      this.once('end', done)
    }
  }
}
