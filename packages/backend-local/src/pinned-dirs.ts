import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, type Stats } from 'node:fs'
import { join, relative, sep } from 'node:path'
import { errnoOf } from './to-sync-error.js'

/** How many idle directory handles `PinnedDirs` keeps open; the least recently used are closed first. */
const DEFAULT_CAPACITY = 16

/**
 * How many directory handles every `PinnedDirs` of the process together keep cached. A bound per
 * instance bounded nothing where a process has many: `syncflow serve` has a backend per client
 * root, and four clients' 16 each took every handle of a server under `ulimit -n 64` (review 23 F4).
 */
const PROCESS_CAPACITY = DEFAULT_CAPACITY

/** How a directory on the way is opened: never through a symlink, never anything but a directory. */
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW

/** Where a path through an open handle resolves to that handle's file, whatever its name is now. */
const PROC_FD = '/proc/self/fd'

/**
 * True where `/proc/self/fd/<fd>/<name>` resolves `name` in the directory open as `fd` (Linux with
 * /proc mounted): the only way Node has to make a call relative to a directory handle (it has no
 * `openat`, `mkdirat`, `renameat`, `unlinkat`).
 */
export function canPinDirectories(): boolean {
  // Asked once per directory a walk reads: /proc does not come or go while a process runs, and
  // the lookup through it cost ~25 µs a call (10 ms of a no-op re-sync of 10,000 files in 200 dirs).
  canPin ??= process.platform === 'linux' && existsSync(`${PROC_FD}/0`)
  return canPin
}
let canPin: boolean | undefined

/** A directory held open for the calls of one operation (see `PinnedDirs.pin`); release it after them. */
export interface DirPin {
  /** `/proc/self/fd/<fd>`: `${at}/${name}` names `name` in this very directory, whatever happens to its path. */
  readonly at: string
  /** The directory's path by name, for messages. */
  readonly abs: string
  readonly fd: number
  /** Ends this use; the handle is closed once unused and no longer cached. */
  release(): void
  /** `err` (a Node fs error) with `at` in its message and path put back as `abs`: the user never named /proc. */
  named(err: unknown): unknown
}

interface Held {
  /** Its key in its PinnedDirs. */
  readonly rel: string
  readonly fd: number
  /** `dev:ino` of the directory, from the handle itself. */
  readonly id: string
  uses: number
  cached: boolean
}

/**
 * Directory handles below a root, opened one component at a time, each through the handle of the
 * one above with O_NOFOLLOW (security review 21). A write-side call made through `${pin.at}/name`
 * lands in the directory that was checked, never in one a user with write access to the target
 * swapped in for it since (a symlink to /etc): the check and the use cannot race any more. The
 * root itself is opened by its real path (the root's own parents are the operator's choice).
 *
 * A cached handle is checked on each use with one `lstat` of its path (the same `dev:ino`, else
 * opened again), so a directory removed and made again (by anyone) is written in its new self; a
 * swap after that check redirects nothing, the calls go through the handle. Bounded (LRU, closed on
 * eviction); a handle in use is closed only once released.
 */
export class PinnedDirs {
  /** The cached handles of every instance, least recently used first, with the instance of each. */
  static readonly #cached = new Map<Held, PinnedDirs>()
  readonly #held = new Map<string, Held>()
  readonly #capacity: number
  readonly #absOf: (rel: string) => string
  readonly #rootReal: () => string
  readonly #below: { readonly top: string; readonly root: string } | undefined

  /**
   * @param absOf the path by name of a directory `rel` below the root ('' is the root)
   * @param rootReal the real path of the root (opened, for '', with O_NOFOLLOW)
   * @param below a real directory `top` above the root (`root`, its path by name): the root is
   *   opened from `top` down, one directory at a time with O_NOFOLLOW (see
   *   `LocalBackendOptions.rootBelow`), not by its real path, where O_NOFOLLOW holds for the last
   *   component only
   */
  constructor(
    absOf: (rel: string) => string,
    rootReal: () => string,
    capacity = DEFAULT_CAPACITY,
    below?: { readonly top: string; readonly root: string },
  ) {
    this.#absOf = absOf
    this.#rootReal = rootReal
    this.#capacity = capacity
    this.#below = below
  }

  /**
   * A handle on the directory `rel` ('' is the root), opened from the root down without following
   * a symlink; throws the open's error (ELOOP for a symlink on the way, ENOTDIR for a file, ENOENT)
   * with the path of the component that failed. `seen`: an `lstat` of the directory's path (not
   * the root's) that the caller took just before, with nothing of this process's own run since
   * (see `LocalBackend.#parentState`): the check of a cached handle, instead of taking another.
   */
  pin(rel: string, seen?: Pick<Stats, 'dev' | 'ino'>): DirPin {
    const held = this.#get(rel, seen)
    held.uses++
    const at = `${PROC_FD}/${held.fd}`
    const abs = this.#absOf(rel)
    let released = false
    return {
      at,
      abs,
      fd: held.fd,
      release: () => {
        if (released) return
        released = true
        held.uses--
        if (held.uses === 0 && !held.cached) closeSync(held.fd)
      },
      named: (err) => renamed(err, at, abs),
    }
  }

  /** Forgets `rel` and everything below it (removed or moved by this backend). */
  forget(rel: string): void {
    const prefix = rel === '' ? '' : `${rel}/`
    for (const [key, held] of this.#held) if (key === rel || key.startsWith(prefix)) this.#drop(key, held)
  }

  /** Closes every idle handle; those in use are closed when released. */
  closeAll(): void {
    for (const [key, held] of this.#held) this.#drop(key, held)
  }

  /** How many handles are cached. */
  get size(): number {
    return this.#held.size
  }

  #get(rel: string, seen?: Pick<Stats, 'dev' | 'ino'>): Held {
    const cached = this.#held.get(rel)
    if (cached !== undefined) {
      // Still the directory at that name (one lstat)? Else opened again: removed and made again, or
      // swapped, the name now leads elsewhere and what is there is checked anew below.
      // (The root by its real path: its given path may be a symlink to it.) The caller's own lstat
      // of that path, taken a moment ago, is that check: a second one a few µs later only moved
      // the moment of it (a swap after either redirects nothing: the calls go through the handle).
      const st =
        seen !== undefined && rel !== ''
          ? seen
          : lstatSync(rel === '' ? this.#rootReal() : this.#absOf(rel), { throwIfNoEntry: false })
      if (st !== undefined && `${st.dev}:${st.ino}` === cached.id) {
        this.#held.delete(rel)
        this.#held.set(rel, cached)
        PinnedDirs.#cached.delete(cached)
        PinnedDirs.#cached.set(cached, this)
        return cached
      }
      this.forget(rel)
    }
    const fd = this.#open(rel)
    let held: Held
    try {
      const st = fstatSync(fd)
      held = { rel, fd, id: `${st.dev}:${st.ino}`, uses: 0, cached: true }
    } catch (err) {
      closeSync(fd)
      throw err
    }
    this.#held.set(rel, held)
    PinnedDirs.#cached.set(held, this)
    if (this.#held.size > this.#capacity) {
      for (const [key, old] of this.#held) {
        if (this.#held.size <= this.#capacity) break
        if (key !== rel) this.#drop(key, old)
      }
    }
    for (const [old, owner] of PinnedDirs.#cached) {
      if (PinnedDirs.#cached.size <= PROCESS_CAPACITY) break
      if (old !== held) owner.#drop(old.rel, old)
    }
    return held
  }

  /** Opens `rel` through its parent's handle (the root by its real path). */
  #open(rel: string): number {
    if (rel === '') {
      const below = this.#below
      return retryOnceOutOfHandles(() =>
        below === undefined ? openSync(this.#rootReal(), DIR_FLAGS) : openFrom(below.top, below.root),
      )
    }
    const slash = rel.lastIndexOf('/')
    const parent = this.pin(slash < 0 ? '' : rel.slice(0, slash))
    try {
      return retryOnceOutOfHandles(() => openSync(`${parent.at}/${rel.slice(slash + 1)}`, DIR_FLAGS))
    } catch (err) {
      throw parent.named(err)
    } finally {
      parent.release()
    }
  }

  /** Closes the idle handles of every instance, those in use once released (the process is out of handles). */
  static closeAllIdle(): void {
    for (const [held, owner] of PinnedDirs.#cached) owner.#drop(held.rel, held)
  }

  #drop(key: string, held: Held): void {
    this.#held.delete(key)
    PinnedDirs.#cached.delete(held)
    held.cached = false
    if (held.uses === 0) closeSync(held.fd)
  }
}

/**
 * `open()`, once more after closing the idle handles should the process be out of them (a low
 * `ulimit -n`): cached handles must never be why a write fails, another backend's neither.
 */
function retryOnceOutOfHandles(open: () => number): number {
  try {
    return open()
  } catch (err) {
    const code = errnoOf(err)
    if (code !== 'EMFILE' && code !== 'ENFILE') throw err
    PinnedDirs.closeAllIdle()
    return open()
  }
}

/** `err` with the handle's path `at` put back as the directory's path `abs` (message, path, dest). */
export function renamed(err: unknown, at: string, abs: string): unknown {
  // (Only Node's fs errors name it: an AbortError's message cannot even be set.)
  if (!(err instanceof Error) || !err.message.includes(at)) return err
  // `at` followed by a separator or the end of a quoted path: /proc/self/fd/2 is not /proc/self/fd/23.
  const pattern = new RegExp(`${at.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[/']|$)`, 'g')
  err.message = err.message.replace(pattern, abs)
  const e = err as NodeJS.ErrnoException & { dest?: unknown }
  if (typeof e.path === 'string') e.path = e.path.replace(pattern, abs)
  if (typeof e.dest === 'string') e.dest = e.dest.replace(pattern, abs)
  return err
}

/**
 * `dir` (below `top`) opened from `top` down, each directory through the handle of the one above
 * with O_NOFOLLOW. A symlink on the way fails ELOOP (O_DIRECTORY says ENOTDIR for it), as the
 * opens of the directories below the root do. With `mode` (null: the default), each directory
 * missing is made first, in the directory opened above it.
 */
function openFrom(top: string, dir: string, mode?: number | null): number {
  let fd = openSync(top, DIR_FLAGS)
  let at = top
  for (const name of relative(top, dir).split(sep)) {
    if (name === '') continue
    at = join(at, name)
    try {
      if (mode !== undefined) {
        try {
          mkdirSync(`${PROC_FD}/${fd}/${name}`, mode === null ? undefined : { mode })
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST') throw err
        }
      }
      const next = openSync(`${PROC_FD}/${fd}/${name}`, DIR_FLAGS)
      closeSync(fd)
      fd = next
    } catch (err) {
      closeSync(fd)
      if (errnoOf(err) === 'ENOTDIR' && lstatSync(at, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw Object.assign(new Error(`ELOOP: ${at} is a symlink`), { code: 'ELOOP', path: at })
      }
      throw err
    }
  }
  return fd
}

/**
 * True when `dir` (below `top`), opened from `top` down without following a symlink, is the
 * directory at `real` (its real path, as resolved a moment before): `real` was not reached through
 * a symlink on the way. False when a symlink or anything but a directory is on the way.
 */
export function reachedFrom(top: string, dir: string, real: string): boolean {
  let fd: number
  try {
    fd = openFrom(top, dir)
  } catch {
    return false
  }
  try {
    const opened = fstatSync(fd)
    const there = lstatSync(real, { throwIfNoEntry: false })
    return there !== undefined && there.dev === opened.dev && there.ino === opened.ino
  } finally {
    closeSync(fd)
  }
}

/** `dir` and the directories between `top` and it, made where missing, never through a symlink (see `openFrom`). */
export function makeFrom(top: string, dir: string, mode?: number): void {
  try {
    closeSync(openFrom(top, dir, mode ?? null))
  } catch (err) {
    // A file in the way: left for the caller to say (as makeDirectories leaves it).
    if (errnoOf(err) !== 'ENOTDIR') throw err
  }
}
