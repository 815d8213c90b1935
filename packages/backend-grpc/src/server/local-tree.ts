import { constants, type Stats } from 'node:fs'
import { type FileHandle, lstat, open, readlink, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import {
  changedWhileRead,
  checkBeforeEnd,
  createLocalBackend,
  type DirectoryChain,
  directoryChain,
  listedOf,
  sameFile,
  VerifiedDirs,
} from '@syncflow/backend-local'
import {
  type Backend,
  type Entry,
  type Fillable,
  isListedFile,
  parentRelPath,
  type ReadOptions,
  type ReadRange,
  type RelPath,
  SyncError,
  type SyncErrorCode,
  sourceChanged,
  toRelPath,
  transientChunks,
  withFill,
  withRangeFill,
} from '@syncflow/core'
import { installationId } from './served-root.js'
import type { OpenBase, ServedTree } from './served-tree.js'

/** Bytes per gRPC data message. */
export const READ_CHUNK = 256 * 1024
/** Bytes per read(2) of a served file: 64 KiB reads spend more time in thread-pool round trips than in copying. */
const READ_AHEAD = 1024 * 1024

const ERRNO: Readonly<Record<string, SyncErrorCode>> = {
  ENOENT: 'NOT_FOUND',
  ENOTDIR: 'NOT_FOUND',
  EACCES: 'PERMISSION',
  EPERM: 'PERMISSION',
  ELOOP: 'INVALID_PATH',
  EMFILE: 'TRANSIENT',
  ENFILE: 'TRANSIENT',
  EAGAIN: 'TRANSIENT',
  EISDIR: 'CONFLICT',
}

/**
 * A local directory served by `syncflow serve`: one LocalBackend (symlinks preserved, never
 * followed) per client root, and reads that cannot leave the directory: opened with O_NOFOLLOW,
 * then the opened file's real path (from /proc/self/fd on Linux) is compared with the path asked
 * for, so a symlink anywhere on the way, even one swapped in meanwhile, is refused.
 */
export class LocalTree implements ServedTree {
  private readonly backends = new Map<string, Backend>()
  /** Directories `checkParents` found to resolve inside the root, with the identity they had. */
  private readonly verified = new VerifiedDirs()
  /** The root check under way, if any (see `checkRoot`). */
  #rootCheck: Promise<void> | undefined
  /** `checkParents`' lstats under way, by absolute path (see `#lstatShared`). */
  readonly #parentStats = new Map<string, Promise<Stats | undefined>>()

  private constructor(
    readonly realRoot: string,
    /** The served directory's device and inode at start: a directory made later at that path is not it. */
    private readonly rootId: string,
  ) {}

  /**
   * The served directory by identity (machine:device:inode): HelloReply.served_root_id. The machine
   * is the installation's (/etc/machine-id), not its boot's as in a DirectoryChain's ids: a `watch`
   * into a server whose host rebooted found its directory "another one" and failed every cycle
   * until restarted.
   */
  get id(): string {
    return `${installationId()}:${this.rootId}`
  }

  /** Opens the tree at `root`, which must be an existing directory (`USAGE` otherwise). */
  static async open(root: string): Promise<LocalTree> {
    let real: string
    let st: Stats
    try {
      real = await realpath(root)
      st = await lstat(real)
    } catch (err) {
      throw new SyncError('USAGE', `--root ${root}: ${(err as Error).message}`, {
        hint: 'Give an existing directory to serve with --root DIR.',
        cause: err,
      })
    }
    if (!st.isDirectory()) {
      throw new SyncError('USAGE', `--root ${root} is not a directory`, { hint: 'Give a directory with --root DIR.' })
    }
    return new LocalTree(real, `${st.dev}:${st.ino}`)
  }

  /**
   * The served directory is still the one `serve` started with. Gone (a backup disk unmounted, the
   * directory renamed), a write would otherwise make it again, on whatever filesystem is below,
   * and report success: rsync's daemon fails such a module too ("chdir failed").
   */
  private checkRoot(): Promise<void> {
    // One check for the requests that arrive while it runs, not one each: a burst of small writes
    // (64 at once from a client) spent a tenth of the server's CPU on this lstat alone (2,000 files
    // of 1-4 KiB: 0.40 s of 3.9 s). A request joining a check under way is answered by an lstat at
    // most that check's duration older than its own would be: the check never was atomic with the
    // request's own calls anyway. Once settled, the next request checks anew.
    this.#rootCheck ??= this.#statRoot().finally(() => {
      this.#rootCheck = undefined
    })
    return this.#rootCheck
  }

  async #statRoot(): Promise<void> {
    const st = await lstat(this.realRoot).catch(() => undefined)
    if (st?.isDirectory() && `${st.dev}:${st.ino}` === this.rootId) return
    throw new SyncError(
      'NOT_FOUND',
      // Without the server's path: a client is not told where the server keeps its files.
      `the served directory is ${st === undefined ? 'gone' : 'no longer the one served'} (unmounted, renamed or deleted?)`,
      { hint: 'Nothing was written. Put it back (mount the disk), or restart `syncflow serve --root DIR`.' },
    )
  }

  async backend(sub: string): Promise<Backend> {
    // Every request asks for its backend first: the one place to check the root, once per request.
    await this.checkRoot()
    if (sub !== '') {
      toRelPath(sub, 'root')
      await this.checkParents(`${sub}/.` as RelPath) // every segment of `sub` itself
    }
    // Cached for the server's life: a sub-directory deleted on the server afterwards is made again
    // by the next write into it (LocalBackend makes its root whenever a write finds it missing),
    // while reads of it find nothing, so it stays a missing source, never an empty one.
    let b = this.backends.get(sub)
    if (b === undefined) {
      // A client root below the served one is opened from the served root down, never through a
      // symlink: the check above is a moment before the backend's calls, and `a` of a root `a/b`
      // swapped for a symlink in between (another client's Moves can do it) sent writes out of the tree.
      b = createLocalBackend({
        root: sub === '' ? this.realRoot : join(this.realRoot, sub),
        symlinks: 'preserve',
        ...(sub === '' ? {} : { rootBelow: this.realRoot }),
      })
      this.backends.set(sub, b)
    }
    return b
  }

  /**
   * Refuses `full` when a directory above it (below the root) is a symlink. Each call made one
   * `realpath` of the parent (a readlink per component from `/`) and, while the parent did not
   * exist yet (a file written beside the mkdir of its directory), an `lstat` of every directory
   * from the root down: O(depth) calls of O(depth) each, a few per request, so a tree 500
   * directories deep took minutes to serve (fx27 gap 2). Now a parent verified before is checked by
   * one `lstat` against the identity it had (a symlink swapped into the chain since resolves to
   * another directory: checked in full again, as LocalBackend's VerifiedDirs does), and a missing
   * one is looked up from the parent up, to the nearest directory that exists.
   */
  async checkParents(full: RelPath): Promise<void> {
    let parent = parentRelPath(full)
    // The nearest existing directory above `full` (what is missing is made later, never through a
    // symlink); a file met on the way up decides at once, a symlink is named from the root down.
    while (parent !== undefined) {
      const abs = join(this.realRoot, parent)
      const st = await this.#lstatShared(abs)
      if (st?.isSymbolicLink()) break
      if (st !== undefined && !st.isDirectory()) return // a file: the operation fails on its own
      if (st !== undefined) {
        const id = `${st.dev}:${st.ino}`
        if (this.verified.get(parent) === id) return
        // The common case in one call: the directory resolves to itself.
        if ((await realpath(abs).catch(() => undefined)) === abs) {
          this.verified.set(parent, id)
          return
        }
        break // something above resolves elsewhere: named below
      }
      parent = parentRelPath(parent)
    }
    if (parent === undefined) return // nothing below the root exists yet
    let dir = this.realRoot
    for (const segment of parent.split('/')) {
      dir = join(dir, segment)
      const st = await lstat(dir).catch(() => undefined)
      if (st === undefined || !st.isDirectory()) {
        if (st?.isSymbolicLink()) throw goesThroughSymlink(full, dir.slice(this.realRoot.length + 1))
        return // missing (created later, never through a symlink) or a file (the operation fails on its own)
      }
    }
  }

  /**
   * One lstat of `abs` for the `checkParents` calls that ask while it runs, as `checkRoot` shares
   * its check: a burst of small writes into a few directories (64 at once, 2,000 files in 20
   * directories) stat'ed the same parent for each file, twice (0.25-0.39 s of the server's ~3.7 s).
   * Only the stat is shared, not the check: each caller decides on it itself and names its own path.
   * A caller that joins is answered by an lstat at most that lstat's duration older than its own.
   */
  #lstatShared(abs: string): Promise<Stats | undefined> {
    let st = this.#parentStats.get(abs)
    if (st === undefined) {
      st = lstat(abs)
        .catch(() => undefined)
        .finally(() => this.#parentStats.delete(abs))
      this.#parentStats.set(abs, st)
    }
    return st
  }

  async lstat(full: RelPath): Promise<Entry | undefined> {
    const st = await lstat(join(this.realRoot, full)).catch((err: unknown) => {
      if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return undefined
      throw fsError(err, 'stat', full)
    })
    if (st === undefined) return undefined
    const kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : undefined
    if (kind === undefined) return undefined
    return {
      path: full,
      kind,
      size: kind === 'dir' ? 0 : st.size,
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
      version: `${st.ino}:${st.ctimeMs}`,
    }
  }

  async readFile(full: RelPath, range?: ReadRange, opts: ReadOptions = {}): Promise<Readable & Fillable> {
    const { fh, st } = await this.openFile(full)
    try {
      // Still the file the client planned for (ReadOptions.expect), as a local source checks it?
      const now = listedOf(st)
      if (opts.expect !== undefined && !isListedFile(opts.expect, now)) {
        throw sourceChanged('serve.read', full, opts.expect, now)
      }
      const start = range?.offset ?? 0
      const end = range?.length === undefined ? st.size : Math.min(st.size, start + range.length)
      if (end <= start) {
        await fh.close()
        return withFill(Readable.from([]), async () => 0)
      }
      const stream = fh.createReadStream({ start, end: end - 1, highWaterMark: READ_AHEAD })
      // A read that raced a writer on the server ends in an error, never in a torn file at the
      // client, as for a local source (see changedWhileRead in @syncflow/backend-local): CONFLICT
      // for a read held to the planned entry, else TRANSIENT (the client tries again).
      const unchanged = opts.tolerateChanges
        ? undefined
        : async (): Promise<void> => {
            const after = await fh.stat()
            if (!sameFile(st, after)) throw changedWhileRead('serve.read', full, opts.expect, after)
          }
      if (unchanged !== undefined) checkBeforeEnd(stream, unchanged)
      // Consumers done with each chunk before the next (hashes, signatures) fill their own buffers.
      return withRangeFill(stream, fh, start, end, (err) => fsError(err, 'read', full), unchanged)
    } catch (err) {
      await fh.close()
      throw fsError(err, 'read', full)
    }
  }

  async rootChain(sub: string): Promise<DirectoryChain> {
    // Only ever a help to the client: a part it cannot see is left out, never a failed Hello.
    return directoryChain(sub === '' ? this.realRoot : join(this.realRoot, sub)).catch(() => ({
      exists: false,
      ids: [],
    }))
  }

  async *scanFile(full: RelPath, opts: ReadOptions = {}, length?: number): AsyncGenerator<Uint8Array> {
    // Two buffers for the whole file: no garbage per chunk (a GiB read in fresh 1 MiB buffers keeps
    // the collector busy), and the next read runs in the thread pool while the caller digests
    // this chunk (a signature costs about as much CPU per byte as the read costs the kernel).
    const stream = await this.readFile(full, length === undefined ? undefined : { offset: 0, length }, opts)
    try {
      yield* transientChunks(stream, READ_AHEAD)
    } finally {
      stream.destroy()
    }
  }

  async openBase(full: RelPath): Promise<OpenBase> {
    const { fh } = await this.openFile(full)
    return {
      readAt: async (buf, offset, length, position) => {
        try {
          return (await fh.read(buf, offset, length, position)).bytesRead
        } catch (err) {
          throw fsError(err, 'read', full)
        }
      },
      close: () => fh.close(),
    }
  }

  /** Opens a regular file without following symlinks, checked inside the tree after opening. */
  private async openFile(full: RelPath): Promise<{ fh: FileHandle; st: Stats }> {
    const abs = join(this.realRoot, full)
    let fh: FileHandle | undefined
    try {
      // O_NONBLOCK: opening a FIFO must not hang the server; it is refused below as not a file.
      fh = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      const st = await fh.stat()
      if (!st.isFile()) {
        throw new SyncError('CONFLICT', `not a regular file (${st.isDirectory() ? 'a directory' : 'special'})`, {
          op: 'serve.read',
          path: full,
        })
      }
      if ((await openedPath(fh, abs)) !== abs) throw goesThroughSymlink(full)
      return { fh, st }
    } catch (err) {
      await fh?.close()
      if (errnoOf(err) === 'ELOOP') throw goesThroughSymlink(full)
      throw fsError(err, 'read', full)
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => b.close()))
    this.backends.clear()
  }
}

/** The real path of an open file: /proc/self/fd on Linux (race-free), else realpath of its name. */
async function openedPath(fh: FileHandle, abs: string): Promise<string> {
  try {
    return await readlink(`/proc/self/fd/${fh.fd}`)
  } catch {
    return realpath(abs)
  }
}

function goesThroughSymlink(full: string, link?: string): SyncError {
  return new SyncError(
    'INVALID_PATH',
    link === undefined ? 'is a symlink or goes through one' : `goes through the symlink ${link}`,
    {
      op: 'serve',
      path: full,
      hint: 'syncflow serve never follows symlinks below its root: replace the symlink by a directory or a file.',
    },
  )
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function fsError(err: unknown, op: string, path: string): SyncError {
  if (err instanceof SyncError) return err
  const code = ERRNO[errnoOf(err) ?? ''] ?? 'UNKNOWN'
  return new SyncError(code, (err as Error)?.message ?? String(err), { op: `serve.${op}`, path, cause: err })
}
