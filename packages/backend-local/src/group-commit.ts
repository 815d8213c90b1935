import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type SyncFs, syncfsHelper } from './syncfs-helper.js'

export type { SyncFs } from './syncfs-helper.js'

/**
 * Files per group by default. Measured on the benchmark's 10,000 small files (6 interleaved runs,
 * median wall / CPU): groups of 256 1.34 s / 1.94 s, 128 1.25 / 1.55, 64 1.33 / 1.68, 32 1.60 / 2.08;
 * in another run 512 was slower than 256 (2.37 / 2.44 against 2.01 / 2.04). Bigger groups keep more
 * transfers alive at once (the engine runs two groups' worth): garbage collection and memory; smaller
 * ones mean more flushes.
 */
export const DEFAULT_GROUP_FILES = 128

/** Options of `GroupCommit`. */
export interface GroupCommitOptions {
  /** A group is committed as soon as it holds this many files. [128] */
  readonly maxFiles?: number
  /** A group is committed once no file has joined it for this long… [2 ms] */
  readonly quietMs?: number
  /** …or once its first file has waited this long. [100 ms] */
  readonly maxWaitMs?: number
  /**
   * Groups smaller than this are fsynced file by file instead: a trickle of single writes (`watch`,
   * `serve`) should not wait for everything dirty on the filesystem, other programs' data included. [4]
   */
  readonly minFilesForSyncfs?: number
  /** The filesystem-wide flush. [`sync -f DIR` (coreutils) on Linux; none elsewhere: fsync per file] */
  readonly syncfs?: SyncFs | undefined
}

interface Waiter {
  readonly path: string
  /**
   * A directory on the file's filesystem, by name, for syncfs (`path` may be relative to a handle:
   * /proc/self/fd/…); null where no name is safe to open as root (see `durable`): fsynced itself.
   */
  readonly dir: string | null
  readonly dev: number
  readonly resolve: () => void
  readonly reject: (err: unknown) => void
}

/**
 * Durability for many small files at the cost of one flush: writers close their temp files, wait
 * here, and rename only once a `syncfs(2)` that started after their data was written has returned
 * (`sync -f`, which fsyncs nothing in particular and everything on the filesystem). A crash therefore
 * still never shows a partial file under its final name, exactly as with an fsync per file — which
 * on ext4 costs a journal commit each, about 2.5 s per 10,000 small files against a few ms per group.
 *
 * The flush covers one filesystem: files are grouped by device and each device is flushed through a
 * directory on it. Where syncfs is not available (not Linux, no coreutils `sync`, or it fails), each
 * file of the group is fsynced instead, and every later group too: slower, never weaker.
 *
 * One group is committed at a time; files that arrive meanwhile form the next one, so writing and
 * flushing overlap. A group is committed when full, when every writer registered with `writer()` is
 * waiting in it, after a quiet moment, or after `maxWaitMs`.
 */
export class GroupCommit {
  readonly #maxFiles: number
  readonly #quietMs: number
  readonly #maxWaitMs: number
  readonly #minFilesForSyncfs: number
  #syncfs: SyncFs | undefined
  /** The directory each device is flushed through (the first seen on it: one helper per device). */
  readonly #dirOf = new Map<number, string>()
  #pending: Waiter[] = []
  #committing = false
  #timer: ReturnType<typeof setTimeout> | undefined
  #firstJoined = 0
  #lastJoined = 0
  /** Writers registered with `writer()` and not yet done (waiting in a group or still writing). */
  #writers = 0
  /** Of those, the ones that have not joined a group yet: more files may still come while any do. */
  #coming = 0
  /** Groups taken for a commit so far (for tests and diagnostics). */
  groups = 0

  /** True while groups are flushed with syncfs (false: an fsync per file, by choice or after a failure). */
  get flushesFilesystem(): boolean {
    return this.#syncfs !== undefined
  }

  constructor(opts: GroupCommitOptions = {}) {
    this.#maxFiles = opts.maxFiles ?? DEFAULT_GROUP_FILES
    this.#quietMs = opts.quietMs ?? 2
    this.#maxWaitMs = opts.maxWaitMs ?? 100
    this.#minFilesForSyncfs = opts.minFilesForSyncfs ?? 4
    this.#syncfs = 'syncfs' in opts ? opts.syncfs : defaultSyncFs()
  }

  /**
   * Resolves once the closed file at `path` (on device `dev`) is durable, with its data and metadata;
   * rejects with the flush's error. `dir` names a directory on its filesystem for `syncfs`, which runs
   * in a helper process: a path through this process's handles (/proc/self/fd/…) means nothing there.
   * The helper opens `dir` by name, following symlinks: never a directory another user may swap
   * for a symlink (as root, `sync -f` then opened whatever it pointed to, a FIFO or a device, and a
   * syncfs of another filesystem let the group be renamed undurable: security review 22). `null`:
   * no such directory, the file is fsynced itself. Not abortable: a group takes milliseconds, and
   * the caller checks its signal before the rename (one listener per waiting file would be
   * thousands on one signal).
   */
  durable(path: string, dev: number, dir: string | null = dirname(path)): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const now = Date.now()
      if (this.#pending.length === 0) this.#firstJoined = now
      this.#lastJoined = now
      this.#pending.push({ path, dir, dev, resolve, reject })
      this.#schedule()
    })
  }

  /**
   * Registers a writer that may join a group: its file goes through the returned `durable` (or it
   * finishes without one, e.g. a big file flushed on its own); `done` once it has finished either
   * way (idempotent). While every registered writer is waiting in a group, no file can join before
   * one of them is released, so the group is committed at once instead of after a quiet moment:
   * with `--concurrency 4` that quiet moment was most of the time of each group of four files
   * (about 2 ms each, 5 s of a 12 s sync of 10,000 small files).
   */
  writer(): { durable: (path: string, dev: number, dir?: string | null) => Promise<void>; done: () => void } {
    this.#writers++
    this.#coming++
    let joined = false
    let finished = false
    const leave = (): void => {
      if (joined) return
      joined = true
      this.#coming--
    }
    return {
      durable: (path, dev, dir) => {
        leave()
        return this.durable(path, dev, dir)
      },
      done: () => {
        if (finished) return
        finished = true
        leave()
        this.#writers--
        // The writer that left may have been the last one others were waiting for.
        this.#schedule()
      },
    }
  }

  #schedule(): void {
    if (this.#committing || this.#pending.length === 0) return
    if (this.#pending.length >= this.#maxFiles || (this.#writers > 0 && this.#coming === 0)) {
      this.#commitNow()
      return
    }
    if (this.#timer !== undefined) return
    const now = Date.now()
    const due = Math.min(this.#lastJoined + this.#quietMs, this.#firstJoined + this.#maxWaitMs)
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined
        const at = Date.now()
        if (at >= this.#lastJoined + this.#quietMs || at >= this.#firstJoined + this.#maxWaitMs) this.#commitNow()
        else this.#schedule()
      },
      Math.max(0, due - now),
    )
  }

  #commitNow(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const group = this.#pending.splice(0, this.#maxFiles)
    if (this.#pending.length > 0) this.#firstJoined = Date.now()
    this.#committing = true
    this.groups++
    void this.#commit(group).finally(() => {
      this.#committing = false
      this.#schedule()
    })
  }

  /**
   * One syncfs of the device of `files`, through its usual directory, else (that directory may be
   * gone) through the directory of this group's first file. False when it cannot be done.
   */
  async #flush(syncfs: SyncFs, files: readonly Waiter[]): Promise<boolean> {
    const first = files[0] as Waiter
    const here = first.dir as string
    const usual = this.#dirOf.get(first.dev) ?? here
    for (const dir of usual === here ? [here] : [usual, here]) {
      try {
        await syncfs(dir)
        this.#dirOf.set(first.dev, dir)
        return true
      } catch {}
    }
    // Whatever the reason (no `sync` binary, an option it lacks, an I/O error), fsync each file from
    // now on: it reports a file's own write errors, and it needs nothing but Node.
    this.#syncfs = undefined
    return false
  }

  async #commit(group: Waiter[]): Promise<void> {
    const byDevice = new Map<number, Waiter[]>()
    for (const w of group) {
      const list = byDevice.get(w.dev)
      if (list) list.push(w)
      else byDevice.set(w.dev, [w])
    }
    await Promise.all(
      [...byDevice.values()].map(async (all) => {
        // A file with no directory safe to flush through (see `durable`) is fsynced on its own.
        const files = all.filter((w) => w.dir !== null)
        const alone = all.filter((w) => w.dir === null)
        const syncfs = files.length > 0 && files.length >= this.#minFilesForSyncfs ? this.#syncfs : undefined
        if (syncfs !== undefined && (await this.#flush(syncfs, files))) {
          for (const w of files) w.resolve()
        } else alone.push(...files)
        await Promise.all(alone.map((w) => fsyncFile(w.path).then(w.resolve, w.reject)))
      }),
    )
  }
}

/**
 * Opens `path` again and fsyncs it (the fallback; writers close their temp files before waiting).
 * Never through a symlink, nor blocking on a FIFO, should another user have put one at the name.
 */
async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/**
 * syncfs through coreutils (see `syncfsHelper`), on Linux only: elsewhere none (macOS's sync(2)
 * does not wait for the data to reach the disk, and its `sync` has no -f), so an fsync per file.
 */
function defaultSyncFs(): SyncFs | undefined {
  if (process.platform !== 'linux') return undefined
  // One set of helper processes for every backend of this process.
  sharedSyncFs ??= syncfsHelper()
  return sharedSyncFs
}
let sharedSyncFs: SyncFs | undefined
