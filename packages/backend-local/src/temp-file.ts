import { createHash, randomBytes, randomFillSync } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import { hostname } from 'node:os'
import { dirname, join } from 'node:path'

/** Every temp file of a local write starts with this; such names are never listed. */
export const TEMP_PREFIX = '.syncflow-tmp-'
/** `<pid>.<where>-<12 hex>`; names of versions before `<where>` lack it. */
const TEMP_NAME = /^\.syncflow-tmp-(\d+)(?:\.([0-9a-f]{8}))?-[0-9a-f]{12}$/

/** A temp file older than this is stale even when its pid is alive (the pid may have been reused). */
export const STALE_TEMP_AGE_MS = 60 * 60 * 1000

/** A kept partial (see `partialNameOf`) older than this is stale: the next run that writes there removes it. */
export const STALE_PARTIAL_AGE_MS = 24 * 60 * 60 * 1000

/** Interrupted writes that wrote less than this keep no partial file (sending it again costs little). */
export const PARTIAL_MIN_BYTES = 1024 * 1024

/** The pid in a partial's name: no process's (0 is never a user process's pid). */
const PARTIAL_PID = 0

/**
 * The name under which what an interrupted write of `name` had written is kept in its directory
 * (`WriteOptions.keepPartial`: `syncflow serve`, whose client went away; a pull from one, stopped),
 * for the next write of that file to start from, as rsync's `--partial` keeps one. Named like a temp file (pid 0, not
 * of this host, and 12 hex digits of the name's SHA-256), so that it is never listed, watched nor
 * taken for a user's file, and a run that writes there removes it once it is a day old.
 */
export function partialNameOf(name: string): string {
  return `${TEMP_PREFIX}${PARTIAL_PID}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`
}

/** The path of the partial of `path` (see `partialNameOf`), in its directory. */
export function partialPathOf<P extends string>(path: P): P {
  const slash = path.lastIndexOf('/')
  return (slash < 0 ? partialNameOf(path) : `${path.slice(0, slash + 1)}${partialNameOf(path.slice(slash + 1))}`) as P
}

/** True for the owner of a partial's name (see `partialNameOf`). */
export function isPartialOwner(owner: TempOwner): boolean {
  return owner.pid === PARTIAL_PID && !owner.here
}

/**
 * The temp path for writing `abs`: in the same directory (so the final rename is atomic, never a
 * copy across filesystems), named after our pid so another run can tell whether its owner is alive.
 */
export function tempPathFor(abs: string): string {
  counter = (counter + 1) % 0x10000
  const name = `${TEMP_PREFIX}${process.pid}.${HERE}-${randomHex8()}${counter.toString(16).padStart(4, '0')}`
  return join(dirname(abs), name)
}

/**
 * 4 random bytes, in hex, from a pool refilled a few thousand names at a time. Random per name:
 * with one random tag per run and a counter, a user who could read a directory of the target saw
 * the names to come and could plant entries there to make root's writes fail (security review 22
 * #3). The counter beside it keeps a run's names apart.
 */
function randomHex8(): string {
  if (poolAt >= POOL.length) {
    randomFillSync(POOL)
    poolAt = 0
  }
  const hex = POOL.toString('hex', poolAt, poolAt + 4)
  poolAt += 4
  return hex
}

const POOL = Buffer.alloc(4 * 1024)
let poolAt = POOL.length

/**
 * Where our pids mean something: this host and pid namespace (a container has its own), hashed. A
 * pid in a temp name is only checked where it was taken: a writer on another host sharing the
 * directory (NFS), or in a container, has pids this process cannot see.
 */
const HERE = createHash('sha256').update(`${hostname()}\0${pidNamespace()}`).digest('hex').slice(0, 8)

function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid')
  } catch {
    return '' // not Linux: the host name alone
  }
}

let counter = 0

/** Who wrote a temp file: its pid, and whether that pid is one of this host and pid namespace. */
export interface TempOwner {
  readonly pid: number
  readonly here: boolean
}

/** The owner of a temp file name, or `undefined` when the name is not one of ours. */
export function tempOwner(name: string): TempOwner | undefined {
  const m = TEMP_NAME.exec(name)
  return m ? { pid: Number(m[1]), here: m[2] === HERE } : undefined
}

/**
 * True when a temp file is left over from a run that cannot finish it any more: its process is gone
 * (known only for a process of this host and pid namespace), or it is older than an hour (a kept
 * partial upload: a day).
 */
export function isStaleTemp(owner: TempOwner, ctimeMs: number, now = Date.now()): boolean {
  // ctime, not mtime: a finished temp gets the source's (old) mtime just before its rename.
  const maxAge = isPartialOwner(owner) ? STALE_PARTIAL_AGE_MS : STALE_TEMP_AGE_MS
  return now - ctimeMs > maxAge || (owner.here && !processAlive(owner.pid))
}

/** The temp name a process `pid` of this host would use (for tests of other processes' leftovers). */
export function tempNameOf(pid: number, here = true): string {
  return `${TEMP_PREFIX}${pid}${here ? `.${HERE}` : ''}-${randomBytes(6).toString('hex')}`
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as { code?: unknown }).code === 'EPERM'
  }
}
