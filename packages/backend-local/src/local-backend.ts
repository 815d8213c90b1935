import { createHash } from 'node:crypto'
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsync,
  futimesSync,
  lstatSync,
  open as openCallback,
  openSync,
  read as readCallback,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  writeSync,
} from 'node:fs'
import {
  chmod,
  copyFile,
  type FileHandle,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  rename,
  rmdir,
  stat,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { addAbortSignal, Readable } from 'node:stream'
import { promisify } from 'node:util'
import {
  type Backend,
  type Capabilities,
  type Change,
  type Copyable,
  type CopyFromCapable,
  type DirCreatable,
  type Entry,
  expectMismatch,
  FILL,
  type Fillable,
  fillableOf,
  type HashAlgo,
  type Hashable,
  type HeldBytes,
  isListedFile,
  isSyncError,
  type ListedFile,
  type ListOptions,
  type ModeSettable,
  type Movable,
  type MtimeSettable,
  makeDirectories,
  type PartialFile,
  type PartialKeeping,
  parentRelPath,
  type ReadOptions,
  type ReadRange,
  type RelPath,
  type RemoveOptions,
  SHRUNK_HINT,
  type StatOptions,
  type Symlinkable,
  SyncError,
  sizeMismatch,
  sourceChanged,
  symlinkSkipped,
  toRelPath,
  type Watchable,
  type WriteMeta,
  type WriteOptions,
  withFill,
  withHeldBytes,
  withRangeFill,
} from '@syncflow/core'
import type { Observable } from 'rxjs'
import { caseSensitiveAt } from './case-sensitive-at.js'
import { caseTwin } from './case-twin.js'
import { EarlyFlush } from './early-flush.js'
import { ExactNames } from './exact-names.js'
import { Fence, type FencedDirectory, leadsIntoTarget } from './fence.js'
import { fsyncDirs, fsyncFiles } from './fsync-dirs.js'
import { DEFAULT_GROUP_FILES, GroupCommit, type GroupCommitOptions } from './group-commit.js'
import { keepsModes, mtimePrecisionOf } from './keeps-modes.js'
import { watchLocal } from './local-watch.js'
import { mayRemoveIn } from './may-remove-in.js'
import { keepOwner, modeToWrite, writesAsRoot } from './owners.js'
import { canPinDirectories, type DirPin, makeFrom, PinnedDirs, reachedFrom } from './pinned-dirs.js'
import {
  isPartialOwner,
  isStaleTemp,
  PARTIAL_MIN_BYTES,
  partialNameOf,
  partialPathOf,
  TEMP_PREFIX,
  tempOwner,
  tempPathFor,
} from './temp-file.js'
import { errnoOf, toSyncError } from './to-sync-error.js'
import { changedWhileRead, checkBeforeEnd, sameFile } from './unchanged-while-read.js'
import { decodableRealPath, readLinkTarget, undecodableName, undecodablePartOf } from './undecodable-names.js'
import { utimeSeconds } from './utime-seconds.js'
import { VerifiedDirs } from './verified-dirs.js'
import {
  danglingSymlink,
  directoryLoop,
  fileEntry,
  listedOf,
  type SymlinkPolicy,
  specialEntry,
  specialFileSkipped,
  versionOf,
  walkSorted,
} from './walk-sorted.js'

/** Options of `createLocalBackend`. */
/** Options of `LocalBackend.write`: those of every backend, and its own. */
export interface LocalWriteOptions extends WriteOptions {
  /**
   * With `keepPartial` (the partial is `partialPathOf` the path): the temp file is the path's
   * partial from its first byte, under a second name, where none is kept yet, so that a process
   * killed mid-write (SIGKILL: it cannot keep it as it stops) leaves it for the next run. `false`
   * for `syncflow serve`, where another client's upload of the path may ask for its partial
   * meanwhile: one still being written is no base. [true]
   */
  readonly partialFromStart?: boolean
}

export interface LocalBackendOptions {
  /** The directory to sync (relative to the working directory, or absolute); created on the first write. */
  readonly root: string
  /**
   * How symlinks below the root are treated. [preserve] `preserve` lists and writes them as
   * symlinks (what `rsync -a` does, so what rsync users expect); `follow` lists what they point to
   * (`rsync -L`); `skip` ignores them. Whatever the policy, a write never goes through a symlink.
   */
  readonly symlinks?: SymlinkPolicy
  /**
   * Small writes (under 1 MiB) become durable in groups, one filesystem flush (`syncfs`) per group
   * instead of an fsync per file, and are renamed into place only after it (see `GroupCommit`);
   * `false` fsyncs each file. [on, with GroupCommit's defaults]
   */
  readonly groupCommit?: GroupCommitOptions | false
  /**
   * Under `symlinks: 'follow'`: directories that listing, `stat` and `watch` never enter through a
   * symlink, nor list a linked file inside (the run's target, which the CLI passes here). Each such
   * link is an `INVALID_PATH` listing error ("leads into the target: not followed"), so the run
   * deletes nothing; followed, it copied the target into itself on every run (QA 12 #2). [none]
   */
  readonly fenceOff?: readonly FencedDirectory[]
  /**
   * A listing does not enter a directory on another file system than the root's (rsync's and
   * rclone's `--one-file-system`): it is listed, its contents are not, and an `OTHER_FILESYSTEM`
   * notice says so (a mirror keeps what the target has below it). [false]
   */
  readonly oneFileSystem?: boolean
  /**
   * The directories this backend makes (its root and the parents of what it writes) are 0700, not
   * the umask's 0755: for a `--backup-dir`, where a file kept below a directory that was private on
   * the target (0700 over 0644 files) must not become readable by others (review 24 #3). [false]
   */
  readonly privateDirs?: boolean
  /**
   * The first write of a run into a directory first removes the temp files interrupted runs left
   * there: for a `--backup-dir`, which is written to but never listed, where a run killed while
   * keeping a big file left its partial copy for ever (QA 24 #4). [false]
   */
  readonly sweepWrittenDirs?: boolean
  /**
   * A directory path whose directories' modes the ones this backend makes take (rsync's backup
   * directories take the destination's): with `privateDirs`, made 0700, then given the mode of the
   * namesake there (never writable by group or others), so that a restore from a backup does not
   * make every directory private (review 24b B2). [none]
   */
  readonly dirModesFrom?: string
  /**
   * `dev:ino` the root must resolve to at every write, or the write is refused (INVALID_PATH): for a
   * `--backup-dir` inside a tree others may write, where a symlink put in its place during the run
   * would have sent the kept files there (review 24b B1). [none]
   */
  readonly rootIdentity?: string
  /**
   * With `rootIdentity`: asked when the root is no longer that directory, for the one to pin now
   * (made and checked anew by the caller), or undefined to refuse the write. A `watch` whose target
   * was renamed away and made anew keeps its `--backup-dir` inside the new target this way; every
   * write refused until it was restarted. Asked once at a time. [none: refused]
   */
  readonly repinRoot?: () => Promise<string | undefined>
  /**
   * A real directory path the root lies below, where whoever may write there can swap a directory
   * between the two for a symlink (`syncflow serve`: a client's root below the served one). The
   * root's handle is then opened from it one directory at a time, never through a symlink, and a
   * root whose real path is reached through a symlink is refused (INVALID_PATH): opened by its path,
   * `a` of a client root `a/b` swapped for a symlink just after the server's check sent that
   * client's writes out of the served root (review h-rev-grpc). [none: the root by its real path]
   */
  readonly rootBelow?: string
}

const SYMLINK_POLICIES: readonly SymlinkPolicy[] = ['preserve', 'follow', 'skip']
const PROGRESS_EVERY = 1024 * 1024
const HASH_CHUNK = 1024 * 1024
const READ_CHUNK = 1024 * 1024
const WRITE_BATCH = 1024 * 1024
/** Reads of files up to this size are done whole, synchronously (see `#readSmall`). */
const SMALL_READ = 128 * 1024
/** Local copies below this size go through one buffer and one handle instead of `copyFile` plus a reopen. */
const SMALL_COPY = 1024 * 1024
/** Writes up to this size wait for a group commit; bigger ones fsync on their own (their data dominates). */
const GROUP_COMMIT_MAX_BYTES = SMALL_COPY
const fsyncAsync = promisify(fsync)
/**
 * True when `now` differs from `expected` in its version's ctime alone (same inode, kind, size and
 * mtime): the inode's other names were renamed over, unlinked or linked (a group of hard links in
 * the target, updated one name after another), or it was chmod'ed. Not a change of content: a
 * write or remove that expected it goes ahead (QA 24b #2: each name failed CONFLICT in turn).
 */
function onlyCtimeMoved(now: Entry | undefined, expected: Entry | null): boolean {
  if (now === undefined || expected === null || now.kind !== expected.kind || now.kind === 'dir') return false
  if (now.size !== expected.size || now.mtimeMs !== expected.mtimeMs) return false
  const ino = (v: string | undefined) => v?.slice(0, v.indexOf(':'))
  return now.version !== undefined && expected.version !== undefined && ino(now.version) === ino(expected.version)
}

/**
 * True when `st` is the file `expected` lists: its inode (a local version is `ino:ctime`; the
 * ctime changes with each new name), size and mtime.
 */
function isExpectedFile(st: Stats, expected: Entry): boolean {
  const ino = expected.version?.slice(0, expected.version.indexOf(':'))
  return (ino === undefined || ino === String(st.ino)) && st.size === expected.size && st.mtimeMs === expected.mtimeMs
}

/**
 * What link(2) says where no hard link can be made: another filesystem (EXDEV), one without hard
 * links (EPERM, ENOTSUP, EOPNOTSUPP; EPERM is also Linux's protected_hardlinks for a file the user
 * may not read or write), too many links already (EMLINK).
 */
const LINK_REFUSED: ReadonlySet<string> = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'])
const openAsync = promisify(openCallback)
/** The calls that make an entry under the path they are given (see `#rel`). */
/** Failures of an upload interrupted on its way (see `#keepPartial`): what it wrote is kept. */
const INTERRUPTED: ReadonlySet<string> = new Set(['ABORTED', 'TRANSIENT'])

const CREATES: ReadonlySet<string> = new Set(['write', 'copyFrom', 'linkFrom', 'mkdir', 'symlink', 'move', 'copy'])

/** Where a backslash in a path is a separator, not a character of a name (`#rel`). */
const BACKSLASH_SEPARATES = process.platform === 'win32'

/** Where the write-side calls on one path go (see `LocalBackend.#place`). */
interface Place {
  /** The path to call with: through the parent directory's handle (/proc/self/fd/N/name), or by name. */
  readonly path: string
  /** The parent directory by name (for syncfs, which runs in a helper process). */
  readonly dir: string
  /** An error of a call on `path`, naming the user's path instead of /proc/self/fd/N. */
  named(err: unknown): unknown
  release(): void
}

/**
 * A local directory as a syncflow backend: a sorted streaming walk, atomic writes (temp file in
 * the same directory, mtime and mode set, made durable — small files in groups, see `GroupCommit` —
 * destination re-checked, rename), mtime and mode preserved, hashes from Node's crypto, `fs.copyFile`
 * (reflink where the filesystem can) between two local roots. Every incoming path is validated, and no write, remove or mkdir goes through a
 * symlink, so neither a hostile path nor a symlink in the target lands a write outside the root.
 * On Linux every write-side call goes through a handle on its directory (see `#place`), so that
 * not even a symlink swapped in by another user between a check and the call redirects it.
 */
export class LocalBackend
  implements
    Backend,
    Movable,
    Copyable,
    CopyFromCapable,
    Hashable,
    MtimeSettable,
    ModeSettable,
    DirCreatable,
    Symlinkable,
    Watchable,
    PartialKeeping
{
  readonly uri: string
  readonly capabilities: Capabilities
  /** The symlink policy in force. */
  readonly symlinkPolicy: SymlinkPolicy
  /** Absolute path of the root. */
  readonly root: string
  #rootReal: string | undefined
  /** The root's identity when `rootIdentity` was last asked. */
  #rootId: string | undefined
  /** The root with a trailing separator (see `#abs`). */
  readonly #rootSlash: string
  /** The creation of the root (once, however many writes start at the same moment). */
  #rootMade: Promise<unknown> | undefined
  /** Parent directories being created, by path: concurrent writes into a new directory wait for one creation. */
  readonly #creating = new Map<string, Promise<void>>()
  /** Directories being made by `#makeParents`, by path: the writes that need one wait for that one call. */
  readonly #makingDirs = new Map<string, Promise<Stats>>()
  /** Parent directories already found to resolve inside the root (see `#parentState`). */
  readonly #verified = new VerifiedDirs()
  /** On a target that does not tell names apart by case: which names are there under another (see ExactNames). */
  readonly #exactNames: ExactNames | undefined
  /** What a `follow` listing never enters (see `LocalBackendOptions.fenceOff`); undefined: nothing. */
  readonly #fence: Fence | undefined
  /** Makes small writes durable in groups; undefined = an fsync per file. */
  readonly #commit: GroupCommit | undefined
  /** The device of the root (its real path), for `#syncDir`; looked at again when a file's differs. */
  #rootDev: number | undefined
  #closed = false
  /** See `LocalBackendOptions.oneFileSystem`. */
  readonly #oneFileSystem: boolean
  /** Mode of the directories this backend makes (`privateDirs`); undefined: the umask's. */
  readonly #dirMode: number | undefined
  /** Directories swept of stale temp files this run (`sweepWrittenDirs`). */
  readonly #sweptDirs: Set<string> | undefined
  /** `dirModesFrom`. */
  readonly #dirModesFrom: string | undefined
  /** `rootIdentity` (changed by `repinRoot`). */
  #pinnedRoot: string | undefined
  /** `repinRoot`, and its answer being awaited. */
  readonly #repinRoot: (() => Promise<string | undefined>) | undefined
  /** `LocalBackendOptions.rootBelow`, resolved. */
  readonly #rootBelow: string | undefined
  #repinning: Promise<string | undefined> | undefined
  /**
   * Directories of ours this backend made owner-writable to write into them (a 0555 directory):
   * their modes, put back by `close`. rsync does the same; else only root could update such trees.
   */
  readonly #madeWritable = new Map<string, { readonly mode: number; readonly id: string }>()
  /** The root was checked for `#writable` (once: it is not stated per write as parents are). */
  #rootWritable = false
  /**
   * Handles on the directories written into, through which every write-side call goes (see
   * `#place`); undefined where a path cannot go through a handle (not Linux): calls by path there.
   */
  readonly #pins: PinnedDirs | undefined

  constructor(options: LocalBackendOptions) {
    // As the file:// plugin refuses an empty path: resolve('') is the working directory, so a
    // script's `createLocalBackend({ root: process.env.DEST ?? '' })` mirrored into (and deleted
    // from) wherever it ran, and a root that is no string threw Node's ERR_INVALID_ARG_TYPE (QA 30c).
    const root: unknown = options?.root
    if (typeof root !== 'string' || root === '' || root.includes('\0')) {
      throw new SyncError(
        'USAGE',
        `createLocalBackend needs a directory path as its root, not ${typeof root === 'string' ? JSON.stringify(root) : String(root)}`,
        { hint: "Give the directory, e.g. createLocalBackend({ root: './photos' }) ('.' for the working directory)." },
      )
    }
    const policy = options.symlinks ?? 'preserve'
    if (!SYMLINK_POLICIES.includes(policy)) {
      throw new SyncError('USAGE', `unknown symlink policy ${JSON.stringify(policy)}`, {
        hint: 'Use one of: preserve (default, like rsync -a), follow (like rsync -L), skip.',
      })
    }
    this.symlinkPolicy = policy
    this.root = resolve(root)
    this.#rootSlash = this.root.endsWith(sep) ? this.root : `${this.root}${sep}`
    this.uri = this.root
    this.#commit = options.groupCommit === false ? undefined : new GroupCommit(options.groupCommit)
    this.#pins = canPinDirectories()
      ? new PinnedDirs(
          (rel) => this.#abs(rel as RelPath),
          () => this.#realRoot(),
          undefined,
          options.rootBelow === undefined ? undefined : { top: resolve(options.rootBelow), root: resolve(root) },
        )
      : undefined
    const fence = policy === 'follow' && options.fenceOff ? new Fence(options.fenceOff) : undefined
    this.#fence = fence?.empty === false ? fence : undefined
    this.#oneFileSystem = options.oneFileSystem === true
    this.#dirMode = options.privateDirs === true ? 0o700 : undefined
    this.#sweptDirs = options.sweepWrittenDirs === true ? new Set() : undefined
    this.#dirModesFrom = options.dirModesFrom
    this.#pinnedRoot = options.rootIdentity
    this.#repinRoot = options.repinRoot
    this.#rootBelow = options.rootBelow === undefined ? undefined : resolve(options.rootBelow)
    const groupFiles =
      options.groupCommit === false ? undefined : (options.groupCommit?.maxFiles ?? DEFAULT_GROUP_FILES)
    this.capabilities = {
      hashes: ['md5', 'sha1', 'sha256'],
      hashReadsContent: true,
      // Node stats carry mtimes in fractional ms and `utimes` takes fractional seconds (a double,
      // sub-microsecond at today's dates); ext4, XFS, btrfs, APFS and tmpfs keep nanoseconds. Coarser
      // filesystems are not probed by a write (that would mean writing into a source); FAT (2 s) and
      // the kernel's exFAT (10 ms) are known by their statfs type (QA 30i #4).
      mtimePrecisionMs: mtimePrecisionOf(this.root),
      listMtime: true,
      emptyDirs: true,
      symlinks: policy === 'preserve',
      permissions: keepsModes(this.root),
      removeExpect: true,
      // `-H`: a listing asked for them says which names are one file (dev:ino, nlink).
      linkIds: true,
      // Linux filesystems are case-sensitive, FAT, exFAT and casefolded directories aside (probed
      // without a write: see caseSensitiveAt); macOS and Windows default to not.
      caseSensitive: caseSensitiveAt(this.root),
      watch: 'native',
      watchReady: true,
      // (The walk reads a directory's names before it lists it: a marker is known there for free.)
      excludeIfPresent: true,
      // As root, `write` clears set-id bits (see `modeToWrite`): the engine must not rewrite for them.
      ...(writesAsRoot() ? { clearsSetId: true } : {}),
      // Two groups' worth: one fills while the other is flushed.
      ...(groupFiles !== undefined ? { groupCommit: 2 * groupFiles } : {}),
    }
    this.#exactNames = this.capabilities.caseSensitive ? undefined : new ExactNames(this.root)
  }

  /** Change hints below the root from OS events (inotify per directory on Linux, chokidar elsewhere, loaded on first use); see `watchLocal`. */
  watch(
    opts: { signal?: AbortSignal; onReady?: () => void; onResync?: (reason: string) => void } = {},
  ): Observable<Change> {
    this.#assertOpen('watch')
    // By the root's path, which the watcher resolves (a symlinked root is followed even where links
    // below it are not) and keeps asking: the root renamed over or re-pointed is watched anew.
    return watchLocal(this.root, {
      followSymlinks: this.symlinkPolicy === 'follow',
      ...(this.#fence ? { fence: this.#fence } : {}),
      ignoreName: (name) => name.startsWith(TEMP_PREFIX) && tempOwner(name) !== undefined,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onReady ? { onReady: opts.onReady } : {}),
      ...(opts.onResync ? { onResync: opts.onResync } : {}),
    })
  }

  list(opts: ListOptions = {}): AsyncIterable<Entry> {
    this.#assertOpen('list')
    return walkSorted({
      ...opts,
      root: this.root,
      symlinks: this.symlinkPolicy,
      ...(this.#fence ? { fence: this.#fence } : {}),
      ...(this.#oneFileSystem ? { oneFileSystem: true } : {}),
      isTemp: (name) => name.startsWith(TEMP_PREFIX) && tempOwner(name) !== undefined,
      // Temp files are never listed; only the target of a run that writes removes stale ones.
      onTemp: (abs, rel, name) =>
        opts.cleanUp ? this.#removeIfStale(abs, rel, name, opts) : this.#sayTempSkipped(abs, rel, name, opts),
      // And lists a directory of its own that it may read but not search (a 0600 directory: every
      // name in it failed to stat, and a file there was then planned as new and refused as having
      // "appeared", QA 22 #10) after making it usable for the run, as rsync does: its mode comes
      // back at `close`, unless the run gives it the source's.
      ...(opts.cleanUp ? { enter: (abs: string, st: Stats) => this.#usable(abs, st, 0o500) } : {}),
    })
  }

  async stat(path: RelPath, opts: StatOptions = {}): Promise<Entry | undefined> {
    const rel = this.#rel(path, 'stat')
    let entry: Entry | undefined
    try {
      // A dangling symlink (under `follow`) is the listing's error, not an absent path: read as
      // absent, a watch cycle deleted the target's copy of a linked file whose file was removed,
      // where a one-shot sync reports it and deletes nothing (QA 11 #1).
      // A link skipped by policy is not absent: said, as the walk says it (a watch cycle then keeps
      // the target's copy, review 20 #1).
      entry = this.#entryAt(rel, false, 'local.stat', opts.onNotice)
    } catch (err) {
      throw toSyncError(err, 'stat', rel)
    }
    // A path that is also the decoding of a name that is not UTF-8 (a watcher's event for `caf\xe9`
    // names `caf\uFFFD`) is that name's: a listing reports it and holds the run's deletes back, so a
    // stat does too. Read as missing, the target's file was deleted (QA); read as a valid
    // `caf\uFFFD` beside it, the file renamed to `caf\xe9` was deleted from the target (QA 6 F1).
    // (With its bytes and the mv hint, as the listing says it: QA 25d.)
    const bad = undecodablePartOf(this.root, rel)
    if (bad !== undefined) throw undecodableName('local.stat', bad.part, bad.bytes)
    // A followed link to a directory that holds it (`self -> .`, `a/up -> ..`), or a path below
    // one: the listing reports it and never lists it, so a stat does too. Taken as a directory, a
    // watch cycle made an empty copy of it on the target that no sync makes (QA 29e).
    if (entry !== undefined && this.symlinkPolicy === 'follow' && this.#throughLoop(rel, entry.kind === 'dir')) {
      throw directoryLoop('local.stat', rel)
    }
    if (entry !== undefined && this.#fence !== undefined && this.#intoFence(rel)) {
      // As the listing reports it: a watch cycle that heard its own writes through such a link
      // copied them one level deeper, cycle after cycle, until the disk was full (QA 12 #2).
      throw leadsIntoTarget('local.stat', rel)
    }
    // Found under another name (`README` asked as `Readme` on exFAT): not this name's, as a listing
    // has it. Taken for it, a watch cycle overwrote README with Readme's bytes (review 31); absent,
    // the write that follows fails naming the twin (#checkExpect).
    if (entry !== undefined && this.#exactNames?.twinOf(rel, entry.kind === 'dir') !== undefined) return undefined
    return entry
  }

  /**
   * Under `follow`: true when a directory on the way to `rel` (`rel` too when it is one) is the
   * root or a directory above it, reached again through a symlink: where the walk stops, as its
   * stack of open directories holds that one already.
   */
  #throughLoop(rel: RelPath, isDir: boolean): boolean {
    try {
      const root = statSync(this.root, { throwIfNoEntry: false })
      if (root === undefined) return false
      const seen = new Set([`${root.dev}:${root.ino}`])
      const parts = rel.split('/')
      const dirs = isDir ? parts.length : parts.length - 1
      for (let i = 1; i <= dirs; i++) {
        const st = statSync(this.#abs(parts.slice(0, i).join('/') as RelPath), { throwIfNoEntry: false })
        if (st === undefined || !st.isDirectory()) return false
        const id = `${st.dev}:${st.ino}`
        if (seen.has(id)) return true
        seen.add(id)
      }
    } catch {
      // (ELOOP, ENOTDIR…: what the stat above already made of it stands.)
    }
    return false
  }

  /** True when `rel` resolves, through a followed symlink on its way, into a fenced directory. */
  #intoFence(rel: RelPath): boolean {
    const abs = this.#abs(rel)
    try {
      // No symlink on the way: inside the source root, which the target neither is nor lies in (the
      // CLI refuses overlapping roots), so nothing to resolve further.
      if (realpathSync.native(abs) === join(this.#realRoot(), rel)) return false
    } catch {
      return false // gone meanwhile
    }
    return this.#fence?.resolvesInto(abs) === true
  }

  async read(path: RelPath, range?: ReadRange, opts: ReadOptions = {}): Promise<Readable> {
    const rel = this.#rel(path, 'read')
    const small = this.#readSmall(rel, range, opts)
    if (small !== undefined) return small
    const { fh, st } = await this.#openFile(rel, 'read')
    // Still the file it was planned for (QA 8 #3: a same-size edit went out under the old mtime)?
    const expect = opts.expect
    if (expect !== undefined && !isListedFile(expect, listedOf(st))) {
      await fh.close()
      throw sourceChanged('local.read', rel, expect, listedOf(st), hintOf(opts))
    }
    const start = range?.offset ?? 0
    const end = range?.length === undefined ? st.size : Math.min(st.size, start + range.length)
    if (end <= start) {
      await fh.close()
      return Readable.from([])
    }
    // 1 MiB chunks: the default 64 KiB costs four times the CPU per GiB in stream overhead.
    const stream = fh.createReadStream({ start, end: end - 1, highWaterMark: READ_CHUNK })
    // Errors of the stream (EIO mid-file) are translated like every other error of this backend.
    const destroy = stream._destroy.bind(stream)
    stream._destroy = (err, cb) => destroy(err, (e) => cb(e ? toSyncError(e, 'read', rel) : e))
    // A read that raced a writer ends in an error, never in a torn copy (see changedWhileRead),
    // unless told to take the bytes as they are (`--no-check-updated`).
    const unchanged = opts.tolerateChanges
      ? undefined
      : async (): Promise<void> => {
          const now = await fh.stat()
          if (!sameFile(st, now)) throw changedWhileRead('local.read', rel, expect, now)
        }
    if (unchanged !== undefined) checkBeforeEnd(stream, unchanged)
    // Internal consumers (a delta's matching pass, a local write) read into their own buffers
    // instead (see `Fillable`): the same bytes, from the same handle, without a buffer per chunk.
    return withRangeFill(stream, fh, start, end, (err) => toSyncError(err, 'read', rel), unchanged)
  }

  /**
   * `read` of a small file (most of a tree): opened, read whole and checked with synchronous calls,
   * the bytes handed over in memory. Read by a stream, each such file cost a file handle, four
   * thread-pool round trips (open, fstat, read, close; a fifth for the check) and a stream's
   * machinery: a third of the client's CPU in an upload of 10,000 small files to S3, where the
   * whole body is held before the PUT anyway. Cached, these calls take microseconds. The bytes are
   * one version of the file: the check after the read (as at a stream's end) fails a read that
   * raced a writer. Undefined, with nothing left open, for a file above SMALL_READ (streamed).
   */
  #readSmall(rel: RelPath, range: ReadRange | undefined, opts: ReadOptions): Readable | undefined {
    const { fd, st } = this.#openFileSync(rel, 'read')
    try {
      const expect = opts.expect
      if (expect !== undefined && !isListedFile(expect, listedOf(st))) {
        throw sourceChanged('local.read', rel, expect, listedOf(st), hintOf(opts))
      }
      if (st.size > SMALL_READ) return undefined
      const start = range?.offset ?? 0
      const end = range?.length === undefined ? st.size : Math.min(st.size, start + range.length)
      const data = end <= start ? Buffer.alloc(0) : readWhole(fd, end - start, start)
      if (!opts.tolerateChanges) {
        const now = fstatSync(fd)
        if (!sameFile(st, now)) throw changedWhileRead('local.read', rel, expect, now)
      }
      return bufferStream(data)
    } catch (err) {
      throw toSyncError(err, 'read', rel)
    } finally {
      closeSync(fd)
    }
  }

  async write(path: RelPath, body: Readable, meta: WriteMeta, opts: LocalWriteOptions = {}): Promise<Entry> {
    let rel: RelPath
    try {
      rel = this.#rel(path, 'write')
    } catch (err) {
      body.destroy()
      throw err
    }
    try {
      const partial = opts.keepPartial === true
      return await this.#replaceWith(
        rel,
        'write',
        opts,
        async (tmp, dir) => {
          const group = this.#commit?.writer()
          try {
            // (A write from the partial has one: made from it, it is no second name for this one. A
            // file under 1 MiB keeps none: no link and unlink for each of a tree's small files.)
            const linkAs =
              partial &&
              opts.partialIsBase !== true &&
              opts.partialFromStart !== false &&
              (meta.size === undefined || meta.size >= PARTIAL_MIN_BYTES)
                ? join(dirname(tmp), partialNameOf(rel.slice(rel.lastIndexOf('/') + 1)))
                : undefined
            await this.#writeTemp(tmp, dir, body, meta, opts, group, linkAs)
          } finally {
            group?.done()
          }
        },
        partial,
      )
    } catch (err) {
      // Whatever failed (a bad parent, the disk, an abort), the caller's stream is not left open.
      body.destroy()
      throw err
    }
  }

  /**
   * `PartialKeeping`: what an interrupted write of `path` kept (see `WriteOptions.keepPartial`),
   * found by lstat (a symlink or anything else there is none), read pinned to the file found.
   */
  async partialOf(path: RelPath): Promise<PartialFile | undefined> {
    const rel = this.#rel(path, 'partialOf')
    const at = partialPathOf(rel)
    const st = await lstat(this.#abs(at)).catch(() => undefined)
    // A partial with another name is a write still under way (its temp file, see #writeTemp: another
    // job's, or a `syncflow serve` upload's), not an interrupted one: taken, it failed that write's
    // check and took its SIGKILL cover away (review of the pull resume #6). A killed run's temp file
    // is gone by then (the listing removes a dead process's), leaving the partial its only name.
    if (st === undefined || !st.isFile() || st.nlink > 1) return undefined
    const expect = fileEntry(at, st)
    return { size: st.size, read: (range) => this.read(at, range, { expect }) }
  }

  /** `write`'s temp file: written, its times and mode set, and durable (in a group where small). */
  async #writeTemp(
    tmp: string,
    dir: string,
    body: Readable,
    meta: WriteMeta,
    opts: WriteOptions,
    group: ReturnType<GroupCommit['writer']> | undefined,
    /** `keepPartial`: the path's partial, which the temp file is made under too (see below). */
    linkAs?: string,
  ): Promise<void> {
    // Private until renamed when a mode will be set; otherwise the umask decides, as for any new file.
    const fh = await open(tmp, 'wx', meta.mode === undefined ? 0o666 : 0o600)
    // Also the path's partial from the start, where none is kept yet: a run killed (SIGKILL, the OOM
    // killer, a power cut) cannot keep it when it stops, and the next run removes the temp file as
    // a dead process's; under this second name its bytes are found by that run (`partialOf`). Not
    // kept when the write fails otherwise or completes (see #keepPartial). (link never replaces a
    // name: an existing partial stays as it is; nor can every filesystem link: then no second name.)
    if (linkAs !== undefined) await link(tmp, linkAs).catch(() => {})
    // The owner is unknown (root's, as root): without set-id bits then (see `modeToWrite`).
    const mode = meta.mode === undefined ? undefined : modeToWrite(meta.mode)
    const early = new EarlyFlush(fh)
    let dev: number | undefined
    const fillable = fillableOf(body)
    // An abort destroys the body. A streamed one with an AbortError, which ends writeAll's read loop
    // (it listens for 'error'). A filled one quietly: its bytes come through its fill, so no one hears
    // an 'error' event on it, and one emitted would crash the process (syncflow serve, when a client
    // cancelled a patch as its write began: QA 10 #1); writeFilled checks the signal at every fill.
    const quietly = fillable && opts.signal ? () => body.destroy() : undefined
    try {
      if (quietly) opts.signal?.addEventListener('abort', quietly, { once: true })
      else if (opts.signal) addAbortSignal(opts.signal, body)
      const size = fillable
        ? await writeFilled(fh, fillable, early, opts, meta.size)
        : await writeAll(fh, body, early, opts.onProgress)
      // Read to its end by filling: released as a stream read to its end would be (its handle closed).
      if (fillable) body.destroy()
      await early.settle()
      if (group && size <= GROUP_COMMIT_MAX_BYTES && reopenable(mode))
        dev = (await setTimes(fh, meta.mtimeMs, mode)).dev
      else await finishFile(fh, meta.mtimeMs, mode)
    } finally {
      if (quietly) opts.signal?.removeEventListener('abort', quietly)
      // A flush still running (after a failure) must not meet a closed handle.
      await early.settle().catch(() => {})
      await fh.close()
    }
    if (dev !== undefined) await group?.durable(tmp, dev, this.#syncDir(dev, dir))
  }

  /**
   * The directory a group commit flushes the file on device `dev` through (by name, in a helper
   * process: see `GroupCommit.durable`): the root's real path, the operator's choice, where the file
   * is on the root's filesystem; null elsewhere (a filesystem mounted inside the target), where the
   * file's own directory `dir` is one another user may swap for a symlink: the file is fsynced itself.
   * `dir` as before where there are no directory handles (not Linux).
   */
  #syncDir(dev: number, dir: string): string | null {
    if (this.#pins === undefined) return dir
    try {
      const root = this.#realRoot()
      if (this.#rootDev !== dev) this.#rootDev = statSync(root, { throwIfNoEntry: false })?.dev
      return this.#rootDev === dev ? root : null
    } catch {
      return null
    }
  }

  async remove(path: RelPath, opts: RemoveOptions = {}): Promise<void> {
    const rel = this.#rel(path, 'remove')
    this.#exactNames?.forget(rel)
    try {
      // (The parent's lstat is its handle's check too, as in #replaceWith: nothing comes between.)
      const seen: { st?: Stats } = {}
      if (this.#parentState(rel, 'remove', true, seen) === 'missing') return
      const place = this.#place(rel, 'remove', seen.st)
      try {
        const st = await lstat(place.path).catch((err: unknown) => {
          if (isMissing(err)) return undefined
          throw err
        })
        if (st === undefined) return
        // (`capabilities.removeExpect`: the engine's own re-check compared the version strictly, and
        // each name of a group of hard links failed in turn, one run per name: QA 24b #2.)
        const expected = opts.expect
        // A planned file that is now a symlink or a directory was put there since (by another
        // client of a served root, say): removing it would lose that, as a changed file would be.
        // (A FIFO or socket a mirror listed as a file, see ListOptions.specialFiles, still goes.)
        if (expected?.kind === 'file' && (st.isDirectory() || st.isSymbolicLink())) {
          const now = st.isDirectory() ? 'directory' : 'symlink'
          throw new SyncError('CONFLICT', `a file when planned, now a ${now} on the target; left as it is`, {
            op: 'local.remove',
            path: rel,
            hint: 'Run the sync again to pick up the new state.',
          })
        }
        if (expected !== undefined && st.isFile()) {
          const now = fileEntry(rel, st)
          if (expectMismatch(now, expected) !== undefined && !onlyCtimeMoved(now, expected)) {
            throw new SyncError('CONFLICT', 'changed on the target since it was planned; left as it is', {
              op: 'local.remove',
              path: rel,
              hint: 'Run the sync again to pick up the new state.',
            })
          }
        }
        if (st.isDirectory()) {
          this.#verified.forget(rel)
          this.#pins?.forget(rel)
          await rmdir(place.path).catch(async (err: unknown) => {
            // A directory that holds nothing but kept partial uploads (never listed) goes with them:
            // a mirror that deleted what it listed there was told "not empty" (review 3 #3).
            if (errnoOf(err) !== 'ENOTEMPTY' || !(await this.#dropPartialsIn(place.path))) throw err
            await rmdir(place.path)
          })
        } else await unlink(place.path)
      } catch (err) {
        throw place.named(err)
      } finally {
        place.release()
      }
    } catch (err) {
      if (isMissing(err)) return
      if (errnoOf(err) === 'ENOTEMPTY' || errnoOf(err) === 'EEXIST') {
        throw new SyncError('CONFLICT', 'directory not empty', {
          op: 'local.remove',
          path: rel,
          hint: 'Remove its contents first.',
          cause: err,
        })
      }
      throw toSyncError(err, 'remove', rel)
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#pins?.closeAll()
    // The modes of directories made writable for the run come back (best effort: one may be gone),
    // through a handle on the directory that was chmodded and nothing else: by path, a symlink the run
    // put in its place (the source had one there) had the file it leads to chmodded, outside the
    // target (a private file made 0666, review 23 F2), and a file in its place got a directory's mode.
    for (const [abs, { mode, id }] of this.#madeWritable) {
      let fd: number | undefined
      try {
        fd = openSync(abs, DIR_FLAGS)
        const st = fstatSync(fd)
        if (`${st.dev}:${st.ino}` === id) fchmodSync(fd, mode)
      } catch {
      } finally {
        if (fd !== undefined) closeSync(fd)
      }
    }
    this.#madeWritable.clear()
  }

  /**
   * Makes the directory at `abs` (stats `st`) owner-writable and searchable for the run if it is
   * ours and is not: a read-only directory (0555) then receives its files and loses the ones deleted,
   * and gets its mode back at `close`. Not as root (who needs none), not on someone else's.
   */
  #writable(abs: string, st: Stats): void {
    this.#usable(abs, st, 0o300)
  }

  /**
   * Gives the owner all of rwx on the directory at `abs` for the run where it lacks a bit of `need`
   * (write and search to write into it, read and search to list it), as `#writable` says. All three
   * at once: a directory made listable is written into next, and is in `#madeWritable` by then.
   */
  #usable(abs: string, st: Stats, need: number): void {
    if ((st.mode & need) === need || this.#madeWritable.has(abs)) return
    const euid = process.geteuid?.()
    if (euid === undefined || euid === 0 || st.uid !== euid) return
    try {
      chmodSync(abs, (st.mode | 0o700) & 0o7777)
      this.#madeWritable.set(abs, { mode: st.mode & 0o7777, id: `${st.dev}:${st.ino}` })
    } catch {
      // Left as it is: the write fails with its own clear error.
    }
  }

  async rootExists(): Promise<boolean> {
    this.#assertOpen('rootExists')
    try {
      return (await stat(this.root)).isDirectory()
    } catch (err) {
      if (isMissing(err)) return false
      throw toSyncError(err, 'rootExists', this.root)
    }
  }

  /**
   * The device and inode of the directory the root path leads to now (see `RootIdentifiable`). One
   * other than the last one seen (a symlinked root re-pointed, a root renamed away and made anew)
   * drops what this backend holds of the old one (its real path, its pinned directory handles, the
   * directories it verified), so that the next writes go to the new one (QA 24b #1: they went on
   * into the old directory through its cached real path).
   */
  async rootIdentity(): Promise<string | undefined> {
    this.#assertOpen('rootIdentity')
    const st = await stat(this.root).catch(() => undefined)
    const id = st?.isDirectory() ? `${st.dev}:${st.ino}` : undefined
    if (id !== undefined && this.#rootId !== undefined && id !== this.#rootId) {
      this.#rootReal = undefined
      this.#pins?.forget('')
      this.#verified.clear()
    }
    if (id !== undefined) this.#rootId = id
    return id
  }

  async move(from: RelPath, to: RelPath, opts: WriteOptions = {}): Promise<Entry> {
    const src = this.#rel(from, 'move')
    const dst = this.#rel(to, 'move')
    this.#exactNames?.forget(src)
    this.#exactNames?.forget(dst)
    let at: Place | undefined
    let into: Place | undefined
    try {
      if (this.#parentState(src, 'move', true) === 'missing') throw missing('move', src)
      at = this.#place(src, 'move')
      const st = await lstat(at.path)
      if (src === dst) return this.#entryOrMissing(dst, 'move', true, at.path)
      let expected = opts.expect
      if (st.isDirectory()) {
        if (dst.startsWith(`${src}/`)) {
          throw new SyncError('CONFLICT', `cannot move a directory into itself (${dst})`, {
            op: 'local.move',
            path: src,
          })
        }
        // rename(2) would silently replace an empty directory: refuse any existing destination.
        expected ??= null
      }
      await this.#prepareParent(dst, 'move')
      into = this.#place(dst, 'move')
      this.#checkExpect(dst, expected, 'move', into.path)
      if (st.isDirectory()) {
        this.#verified.forget(src)
        this.#pins?.forget(src)
      }
      await rename(at.path, into.path)
      return this.#entryOrMissing(dst, 'move', true, into.path)
    } catch (err) {
      throw toSyncError(at?.named(into?.named(err) ?? err) ?? err, 'move', src)
    } finally {
      at?.release()
      into?.release()
    }
  }

  async copy(from: RelPath, to: RelPath, opts: WriteOptions = {}): Promise<Entry> {
    const src = this.#rel(from, 'copy')
    const dst = this.#rel(to, 'copy')
    const source = this.#openFileSync(src, 'copy')
    return this.#copyInto(
      source,
      this.#abs(src),
      dst,
      { mtimeMs: source.st.mtimeMs, mode: source.st.mode & 0o7777 },
      opts,
      'copy',
    )
  }

  async copyFrom(
    source: Backend,
    sourcePath: RelPath,
    path: RelPath,
    meta: WriteMeta,
    opts: WriteOptions = {},
  ): Promise<Entry | undefined> {
    // (A brand check, not instanceof: a proxy of one, a watch's view, passes instanceof but has no private members.)
    if (!LocalBackend.#isOne(source)) return undefined
    const src = source.#rel(sourcePath, 'copyFrom')
    const rel = this.#rel(path, 'copyFrom')
    const reading = opts.readOptions ?? {}
    // Opened through the source's own rules (its symlink policy, its parent checks).
    const opened = source.#openFileSync(src, 'copyFrom')
    // What was opened must be the entry planned (`readOptions.expect`), else at least of the size
    // expected (`meta.size`): a file truncated, grown or edited since would be published with the
    // listed mtime stamped on other content (QA 8 #2, #3). Its read is checked against itself from
    // here on (changedWhileRead).
    const now = listedOf(opened.st)
    const listed = reading.expect ?? (meta.size !== undefined ? { ...now, size: meta.size } : undefined)
    if (listed !== undefined && !isListedFile(listed, now) && !(reading.tolerateChanges && now.size > listed.size)) {
      closeSync(opened.fd)
      throw sourceChanged('local.copyFrom', rel, listed, now, hintOf(reading))
    }
    if (reading.tolerateChanges) {
      // `--no-check-updated`: the listed size's bytes as they are (a log as it was when listed),
      // read here for a small file; a big one is streamed by the engine (copyFile takes it all).
      if (meta.size === undefined || meta.size >= SMALL_COPY) {
        closeSync(opened.fd)
        return undefined
      }
      return this.#copyInto(opened, source.#abs(src), rel, meta, opts, 'copyFrom', meta.size)
    }
    return this.#copyInto(opened, source.#abs(src), rel, meta, opts, 'copyFrom', undefined, reading.expect)
  }

  /**
   * A hard link at `path` to the file (or symlink) another local directory has at `otherPath`, for
   * `--backup-dir` (see `LinkFromCapable`), replacing what is at `path` atomically (linked at a temp
   * name, renamed over). Undefined where the filesystem refuses a link (another filesystem, none
   * there, too many links): the engine copies instead.
   */
  /** Flushable: the directories holding `paths` (and those above, to the root) fsynced. */
  async flush(paths: readonly RelPath[], opts: { readonly contents?: boolean } = {}): Promise<void> {
    this.#assertOpen('flush')
    if (opts.contents) await fsyncFiles(this.root, paths)
    await fsyncDirs(this.root, paths)
  }

  async linkFrom(
    other: Backend,
    otherPath: RelPath,
    path: RelPath,
    opts: {
      readonly expect?: Entry
      readonly targetExpect?: Entry | null
      readonly ownerOf?: { readonly backend: Backend; readonly path: RelPath }
      readonly forMove?: boolean
    } = {},
  ): Promise<Entry | undefined> {
    if (!LocalBackend.#isOne(other)) return undefined
    // A move whose source name could not be removed after (a read-only or immutable directory)
    // would leave both names on one file, an edit of either showing in the other: copied instead.
    if (opts.forMove) {
      const from = other.#abs(other.#rel(otherPath, 'linkFrom'))
      if (!mayRemoveIn(dirname(from), from)) return undefined
    }
    // The owner a copy from that file would give (see keepOwner: owner and group as root, the group
    // otherwise): a linked file of another owner is not linked (review of --link-dest F1: as root, a
    // file chowned in the source was linked to the snapshot's root-owned one, and stayed so).
    const owner = opts.ownerOf
    const ownerSt =
      owner !== undefined && LocalBackend.#isOne(owner.backend)
        ? lstatSync(owner.backend.#abs(owner.backend.#rel(owner.path, 'linkFrom')), { throwIfNoEntry: false })
        : undefined
    const ownedAs = (st: Stats): boolean =>
      ownerSt === undefined || (st.gid === ownerSt.gid && (!writesAsRoot() || st.uid === ownerSt.uid))
    const src = other.#rel(otherPath, 'linkFrom')
    const rel = this.#rel(path, 'linkFrom')
    let refused = false
    let at: Place | undefined
    // The file linked must be the one expected (review 24 #2: one saved over it just before was
    // kept as if it were the old one, and then replaced unkept on the other side).
    const check = (st: Stats | undefined): void => {
      if (opts.expect !== undefined && (st === undefined || !isExpectedFile(st, opts.expect))) {
        throw new SyncError('CONFLICT', 'changed since it was planned; left untouched', {
          op: 'local.linkFrom',
          path: src,
        })
      }
    }
    try {
      // Reached through the other side's own checks (no symlink on the way to it).
      if (other.#parentState(src, 'linkFrom') === 'missing') throw missing('linkFrom', src)
      at = other.#place(src, 'linkFrom')
      const from = at.path
      // A new name (--link-dest): linked where it goes, link(2) refusing anything there, the link's
      // own lstat checking what it names and giving the entry (no temp name, no rename, no second
      // look at either name: three calls of the eight a replacing link takes).
      if (opts.targetExpect === null) {
        return await this.#createWith(rel, 'linkFrom', async (name) => {
          await link(from, name).catch((err: unknown) => {
            refused = LINK_REFUSED.has(errnoOf(err) ?? '')
            throw err
          })
          const st = lstatSync(name, { throwIfNoEntry: false })
          try {
            check(st)
          } catch (err) {
            // (The name this call made, and only it: a link of another file than the one expected.)
            await unlink(name).catch(() => {})
            throw err
          }
          if (st !== undefined && !ownedAs(st)) {
            await unlink(name).catch(() => {})
            refused = true
            throw new SyncError('UNSUPPORTED', 'linked file has another owner', { op: 'local.linkFrom', path: rel })
          }
          // A file made whole takes its partial away, by a link too (review of today's changes #3: a
          // snapshot, never written again, kept an interrupted pull's partial for good).
          if (st !== undefined && st.size >= PARTIAL_MIN_BYTES) await unlink(partialPathOf(name)).catch(() => {})
          return st?.isFile() ? fileEntry(rel, st) : this.#entryOrMissing(rel, 'linkFrom', true, name)
        })
      }
      // (A symlink on the way here is said as one, before anything is linked.)
      this.#parentState(rel, 'linkFrom', true)
      // Already a name of that file (a `cp -al` snapshot as the backup, or an earlier run that kept
      // it and then failed): rename(2) of the temp link over it would do nothing and leave the temp
      // name behind (QA 24 #3).
      const [was, is] = [
        lstatSync(from, { throwIfNoEntry: false }),
        lstatSync(this.#abs(rel), { throwIfNoEntry: false }),
      ]
      if (was !== undefined && is !== undefined && was.dev === is.dev && was.ino === is.ino) {
        check(was)
        this.#checkExpect(rel, opts.targetExpect, 'linkFrom', this.#abs(rel))
        return this.#entryOrMissing(rel, 'linkFrom', true)
      }
      const replacing = opts.targetExpect !== undefined ? { expect: opts.targetExpect } : {}
      return await this.#replaceWith(rel, 'linkFrom', replacing, async (tmp) => {
        await link(from, tmp).catch((err: unknown) => {
          refused = LINK_REFUSED.has(errnoOf(err) ?? '')
          throw err
        })
        check(lstatSync(tmp, { throwIfNoEntry: false }))
      })
    } catch (err) {
      if (refused) return undefined
      throw toSyncError(at?.named(err) ?? err, 'linkFrom', src)
    } finally {
      at?.release()
    }
  }

  async hash(path: RelPath, algo: HashAlgo, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const rel = this.#rel(path, 'hash')
    if (!this.capabilities.hashes.includes(algo)) {
      throw new SyncError('UNSUPPORTED', `unknown hash ${JSON.stringify(algo)}`, { op: 'local.hash', path: rel })
    }
    // (Stopped: not even opened. A run's pairing of renames asks for many hashes in a row.)
    if (opts.signal?.aborted) throw new SyncError('ABORTED', 'interrupted', { op: 'local.hash', path: rel })
    const { fh } = await this.#openFile(rel, 'hash')
    const digest = createHash(algo)
    try {
      for await (const chunk of fh.createReadStream({ highWaterMark: HASH_CHUNK, autoClose: false })) {
        opts.signal?.throwIfAborted()
        digest.update(chunk as Buffer)
      }
    } catch (err) {
      throw toSyncError(err, 'hash', rel)
    } finally {
      await fh.close()
    }
    return digest.digest('hex')
  }

  /**
   * A file's mtime to the nanosecond (see `MtimeNsReadable`), for what goes to S3: one more stat,
   * in bigint, per file written there; undefined when it is not a file (any more).
   */
  async mtimeNs(path: RelPath): Promise<bigint | undefined> {
    const rel = this.#rel(path, 'stat')
    const abs = this.#abs(rel)
    try {
      const opts = { bigint: true, throwIfNoEntry: false } as const
      const st = this.symlinkPolicy === 'follow' ? statSync(abs, opts) : lstatSync(abs, opts)
      // As `stat`: a path through a symlinked directory is no file of this tree (unless following).
      if (this.symlinkPolicy !== 'follow' && this.#parentState(rel, 'stat') !== 'ok') return undefined
      return st?.isFile() ? st.mtimeNs : undefined
    } catch {
      return undefined // the read that follows reports it
    }
  }

  /**
   * A file's, directory's or (under preserve) symlink's mtime in place. Never through a symlink: a
   * file or directory is changed through a handle opened without following one (by path, a symlink
   * to /etc/shadow put at the name had root set its times: security review 21), the link itself
   * with `lutimes`. Under `follow` a symlink is refused (UNSUPPORTED) as in `setMode`: the engine
   * writes the file anew, as any write replaces such a link. A file with other hard links is
   * refused (UNSUPPORTED), as in `setMode`.
   */
  async setMtime(path: RelPath, mtimeMs: number): Promise<Entry> {
    const rel = this.#rel(path, 'setMtime')
    let place: Place | undefined
    let fd: number | undefined
    try {
      if (this.#parentState(rel, 'setMtime') === 'missing') throw missing('setMtime', rel)
      place = this.#place(rel, 'setMtime')
      const st = await lstat(place.path)
      if (st.isFile() && st.nlink > 1) throw hardLinked('setMtime', rel, st.nlink)
      const mtime = utimeSeconds(mtimeMs)
      if (st.isSymbolicLink()) {
        if (this.symlinkPolicy === 'follow') {
          throw new SyncError('UNSUPPORTED', 'a symlink; not changed through', { op: 'local.setMtime', path: rel })
        }
        await lutimes(place.path, utimeSeconds(st.atimeMs), mtime)
      } else if (!st.isFile() && !st.isDirectory()) {
        // (Never opened: a device's open may do something.)
        throw new SyncError('CONFLICT', 'not a file (a special file)', { op: 'local.setMtime', path: rel })
      } else {
        fd = openInPlace(place.path, st.isDirectory() ? DIR_FLAGS : FILE_FLAGS, rel, 'setMtime')
        if (fd === undefined) {
          // Not root and not readable, or Windows: by path, as before (see openInPlace).
          await utimes(place.path, utimeSeconds(st.atimeMs), mtime)
        } else {
          const now = fstatSync(fd)
          // Replaced between the lstat and the open: by a file with other names, refused as above.
          if (now.isFile() && now.nlink > 1) throw hardLinked('setMtime', rel, now.nlink)
          futimesSync(fd, utimeSeconds(now.atimeMs), mtime)
        }
      }
      return this.#entryOrMissing(rel, 'setMtime', true, place.path)
    } catch (err) {
      throw toSyncError(place?.named(err) ?? err, 'setMtime', rel)
    } finally {
      if (fd !== undefined) closeSync(fd)
      place?.release()
    }
  }

  /**
   * A file's permission bits in place (a chmod, as rsync's `.f...p`: a mode change alone no longer
   * rewrites the file). Through a handle opened without following a symlink, so that a name
   * swapped for one never gets another file chmodded. A file with other hard links is refused
   * (UNSUPPORTED), as in `setMtime`; one that cannot be opened (not readable) or is not the user's
   * is PERMISSION: the engine writes either anew.
   */
  async setMode(path: RelPath, mode: number): Promise<Entry> {
    const rel = this.#rel(path, 'setMode')
    // As root, files are written without set-id bits (`clearsSetId`, QA 22 #1), and a chmod in place
    // must not add them either: a `syncflow serve` client asked for 04755 on a file of root's and
    // got a setuid-root file (review 23 F1). The engine never asks (see `inPlace`); refused here.
    if (writesAsRoot() && (mode & 0o6000) !== 0) {
      throw new SyncError('UNSUPPORTED', 'set-id bits are not set in place as root', { op: 'local.setMode', path: rel })
    }
    let fd: number | undefined
    let place: Place | undefined
    try {
      if (this.#parentState(rel, 'setMode') === 'missing') throw missing('setMode', rel)
      place = this.#place(rel, 'setMode')
      try {
        fd = openSync(place.path, FILE_FLAGS)
      } catch (err) {
        // A symlink there (`--symlinks follow` lists it as its file): written anew, as before.
        if (errnoOf(err) === 'ELOOP')
          throw new SyncError('UNSUPPORTED', 'a symlink; not changed through', { op: 'local.setMode', path: rel })
        throw err
      }
      const st = fstatSync(fd)
      if (!st.isFile()) throw new SyncError('CONFLICT', 'not a file', { op: 'local.setMode', path: rel })
      if (st.nlink > 1) throw hardLinked('setMode', rel, st.nlink)
      fchmodSync(fd, mode & 0o7777)
      return fileEntry(rel, fstatSync(fd))
    } catch (err) {
      throw toSyncError(place?.named(err) ?? err, 'setMode', rel)
    } finally {
      if (fd !== undefined) closeSync(fd)
      place?.release()
    }
  }

  /**
   * Creates the directory `path` (idempotent), with `meta`'s mode and mtime. From a local `source`
   * (the engine's `mkdir` action), the owner of the source's directory at `path` too, as `rsync -a`
   * keeps it: owner and group as root, the group (where the user is in it) otherwise. Also on a
   * directory that was there: a write into it may have made it first (the engine runs a mkdir
   * beside the writes into it), and a planned mkdir means the target lacked it.
   */
  async mkdir(path: RelPath, meta: Partial<WriteMeta> = {}, source?: Backend): Promise<void> {
    const rel = this.#rel(path, 'mkdir')
    const abs = this.#abs(rel)
    let place: Place | undefined
    let fd: number | undefined
    try {
      await this.#prepareParent(rel, 'mkdir')
      // A directory there under another name is not this one (a watch cycle's `dir` into `Dir`).
      const twin = this.#exactNames?.twinOf(rel, true)
      if (twin !== undefined) throw this.#caseTwinConflict(twin, 'mkdir', rel)
      place = this.#place(rel, 'mkdir')
      let existed = false
      try {
        await mkdir(place.path)
        this.#exactNames?.made(rel)
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw err
        existed = true
      }
      // mkdir's mode is filtered by the umask: set the wanted bits explicitly. On a directory that
      // was there, best effort: one we may write into but do not own refuses (EPERM), and a mode
      // or an mtime is not worth failing the run for (its failure would hold back every delete).
      const bestEffort = (err: unknown): void => {
        if (!existed || (errnoOf(err) !== 'EPERM' && errnoOf(err) !== 'EACCES')) throw err
      }
      // Owner, mode and times through a handle on the directory itself, opened without following a
      // symlink: by path, a symlink to /etc put at the name after the mkdir (by a user who may write
      // the parent) had root chmod /etc (security review 21).
      fd = openInPlace(place.path, DIR_FLAGS, rel, 'mkdir')
      if (fd === undefined) {
        // Not root and a directory we may not read, or Windows: by path, as before (see openInPlace).
        if (meta.mode !== undefined) await chmod(place.path, meta.mode & 0o7777).catch(bestEffort)
        if (meta.mtimeMs !== undefined) {
          await utimes(place.path, Date.now() / 1000, utimeSeconds(meta.mtimeMs)).catch(bestEffort)
        }
        return
      }
      // Before the mode: a chown may clear a set-id bit.
      if (LocalBackend.#isOne(source)) this.#ownerFrom(source, rel, fd)
      if (meta.mode !== undefined) {
        // A mode set now is the one to keep: not the one it had when made writable for the run.
        this.#madeWritable.delete(abs)
        try {
          fchmodSync(fd, meta.mode & 0o7777)
        } catch (err) {
          bestEffort(err)
        }
      }
      if (meta.mtimeMs !== undefined) {
        try {
          futimesSync(fd, Date.now() / 1000, utimeSeconds(meta.mtimeMs))
        } catch (err) {
          bestEffort(err)
        }
      }
    } catch (err) {
      throw toSyncError(place?.named(err) ?? err, 'mkdir', rel)
    } finally {
      if (fd !== undefined) closeSync(fd)
      place?.release()
    }
  }

  /**
   * Gives the directory open as `fd` (made by `mkdir`) the owner of `source`'s directory at `rel`,
   * where it differs (see `mkdir`); best effort: an owner is not worth failing the run for.
   */
  #ownerFrom(source: LocalBackend, rel: RelPath, fd: number): void {
    const asRoot = writesAsRoot()
    // Never as root: a directory given to a user is one they may swap for a symlink while root
    // writes into it, and root then made, chmod'ed, chowned or deleted files outside the target
    // (security review 21: confirmed). Directories a root run makes stay root's, with the source's
    // mode; files inside keep their owners. Kept so although the calls now go through directory
    // handles (see `#place`): those hold on Linux only, elsewhere every call still takes a path.
    if (asRoot) return
    try {
      const srcAbs = source.#abs(rel)
      const from = source.symlinkPolicy === 'follow' ? statSync(srcAbs) : lstatSync(srcAbs)
      const here = fstatSync(fd)
      if (!from.isDirectory() || !here.isDirectory()) return
      if ((!asRoot || from.uid === here.uid) && from.gid === here.gid) return
      fchownSync(fd, asRoot ? from.uid : -1, from.gid)
    } catch {
      // Gone meanwhile, not a group of the user's, a filesystem without owners: the directory stays.
    }
  }

  async symlink(path: RelPath, linkTarget: string, opts: WriteOptions = {}): Promise<void> {
    const rel = this.#rel(path, 'symlink')
    if (typeof linkTarget !== 'string' || linkTarget === '' || linkTarget.includes('\0')) {
      throw new SyncError('INVALID_PATH', `invalid symlink target ${JSON.stringify(linkTarget)}`, {
        op: 'local.symlink',
        path: rel,
      })
    }
    await this.#replaceWith(rel, 'symlink', opts, (tmp) => symlink(linkTarget, tmp))
  }

  // ---- internals -------------------------------------------------------------------------------

  /** A LocalBackend itself, whose private members this class can use (not a proxy of one). */
  static #isOne(b: unknown): b is LocalBackend {
    return typeof b === 'object' && b !== null && #rel in b
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new SyncError('USAGE', 'backend is closed', { op: `local.${op}`, path: this.root })
  }

  /** Validates an incoming path: whatever another backend listed, it cannot escape the root. */
  #rel(path: RelPath, op: string): RelPath {
    this.#assertOpen(op)
    const rel = toRelPath(path, `local.${op}`)
    // A RelPath may hold a backslash (an ordinary character on POSIX and in S3 keys); on Windows it
    // separates segments, so `a\\..\\..\\x` would climb out of the root.
    if (BACKSLASH_SEPARATES && rel.includes('\\')) {
      throw new SyncError('INVALID_PATH', 'a backslash separates path segments on Windows', {
        op: `local.${op}`,
        path: rel,
        hint: 'Rename the file on the other side, or exclude it with --exclude.',
      })
    }
    // A name of our temp files is never listed (and one that looks stale is removed by the next
    // run that writes): written from a source that lists it (an S3 bucket another tool filled from
    // a directory a killed run left one in), the next run found its "new" file there and failed it
    // as having appeared (CONFLICT, on every run), and a later run removed the copy (QA 29d).
    if (CREATES.has(op)) {
      const temp = rel.split('/').find((seg) => seg.startsWith(TEMP_PREFIX) && tempOwner(seg) !== undefined)
      if (temp !== undefined) {
        throw new SyncError('INVALID_PATH', `${JSON.stringify(temp)} is named like a syncflow temp file`, {
          op: `local.${op}`,
          path: rel,
          hint: 'A local directory never lists such a name (it is taken for the leftover of an interrupted write): rename it on the other side, or exclude it with --exclude.',
        })
      }
    }
    return rel
  }

  #abs(rel: RelPath): string {
    // A valid RelPath has no empty, "." or ".." segment: appended to the root as path.join would
    // (which normalizes it again: ~0.5 µs per call, a few calls per file written).
    return BACKSLASH_SEPARATES || rel === '' ? join(this.root, rel) : `${this.#rootSlash}${rel}`
  }

  #realRoot(): string {
    if (this.#rootReal === undefined) {
      const real = decodableRealPath(this.root)
      // Below `rootBelow` the root is reached without a symlink or refused: resolved through one
      // swapped in, the real path cached would lead there for good. (Resolved to another spelling
      // of itself, on a case-insensitive filesystem, it is the directory opened from there down.)
      if (this.#pins !== undefined && this.#rootBelow !== undefined && !reachedFrom(this.#rootBelow, this.root, real)) {
        // A file at the root (or above it): not kept, and said by the callers ("not a directory").
        const st = lstatSync(this.root, { throwIfNoEntry: false })
        if (st !== undefined && !st.isDirectory() && !st.isSymbolicLink()) return real
        throw new SyncError('INVALID_PATH', `the root ${this.root} goes through a symlink; never written through`, {
          op: 'local.root',
          hint: `Replace the symlink between ${this.#rootBelow} and ${this.root} by a directory.`,
        })
      }
      this.#rootReal = real
    }
    return this.#rootReal
  }

  /**
   * Where the write-side calls on `rel` go: `<handle>/<name>`, through a handle on its parent
   * directory opened from the root down, never through a symlink (see `PinnedDirs`). As root, in a
   * target another user may write, a directory on the way swapped for a symlink to /etc after
   * `#parentState` checked it had root's rename, unlink, mkdir or chmod by path land there (security
   * review 21); through the handle they land in the directory checked. By path where there are no
   * handles (not Linux). Release it after the calls. Throws INVALID_PATH for a symlink on the way
   * (swapped in since the check), ENOENT or ENOTDIR (missing) as the open gives them. `seen`: the
   * parent's `lstat` that `#parentState` just took (see `PinnedDirs.pin`), none of our own calls since.
   */
  #place(rel: RelPath, op: string, seen?: Stats): Place {
    const abs = this.#abs(rel)
    const dir = dirname(abs)
    if (this.#pins === undefined) return { path: abs, dir, named: (err) => err, release: () => {} }
    let pin: DirPin
    try {
      pin = this.#pins.pin(parentRelPath(rel) ?? '', seen)
    } catch (err) {
      // A symlink on the way (swapped in since the check): O_DIRECTORY says ENOTDIR for it too.
      const code = errnoOf(err)
      if (code === 'ELOOP' || (code === 'ENOTDIR' && this.#symlinkOnTheWay(rel) !== undefined)) {
        throw this.#symlinkInChain(rel, op)
      }
      // A directory we may write into but not read (0300) cannot be opened so: by path, as before,
      // when not root (who is never refused; a user has no privilege to lose to a swap).
      if (code === 'EACCES' && !writesAsRoot()) return { path: abs, dir, named: (e) => e, release: () => {} }
      throw err
    }
    return { path: `${pin.at}/${rel.slice(rel.lastIndexOf('/') + 1)}`, dir, named: pin.named, release: pin.release }
  }

  /**
   * Whether the parent directory of `rel` exists, checking that no directory between the root and
   * it is a symlink (`INVALID_PATH`) or a file (`CONFLICT`). One `lstat` for a directory verified
   * before (same `dev:ino`: a symlink swapped into the chain since would resolve elsewhere), one
   * `realpath` otherwise. With `seen`, the parent's `lstat` (a directory) is left in `seen.st` for
   * the caller's `#place` right after: the check of its cached handle (see `PinnedDirs.pin`).
   */
  #parentState(rel: RelPath, op: string, forWrite = false, seen?: { st?: Stats }): 'ok' | 'missing' {
    const parent = parentRelPath(rel)
    try {
      const rootReal = this.#realRoot()
      if (parent === undefined) {
        if (!forWrite) return 'ok'
        // One lstat per write into the root, as a write below it lstats its parent: the root, made
        // by the first write, may be gone since (a target deleted during a watch, a served
        // sub-directory deleted on the server) and is then made again (#makeParents), as rsync does.
        const st = lstatSync(this.root, { throwIfNoEntry: false })
        if (st === undefined) return 'missing'
        if (!st.isDirectory()) {
          this.#rootIsDirectory(rel, op) // a symlink to a directory passes; a file is a CONFLICT
        } else if (!this.#rootWritable) {
          this.#rootWritable = true
          this.#writable(this.root, st)
        }
        return 'ok'
      }
      const abs = this.#abs(parent)
      // Taken before the realpath: a swap after it cannot get a foreign directory recorded.
      const st = lstatSync(abs, { throwIfNoEntry: false })
      // A file (or FIFO…) as the parent: nothing is below it, as for one higher up, which the
      // realpath below says with ENOTDIR. Taken as the same, a write gets #makeParents' CONFLICT
      // "parent … is a file" instead of a raw ENOTDIR of its temp file (QA 25a #6).
      if (st !== undefined && !st.isDirectory() && !st.isSymbolicLink()) return 'missing'
      // Not there (yet: a file written beside the mkdir of its directory): what the realpath below
      // would say too, after reading a link per component from `/` (fx27 gap 2).
      if (st === undefined) return 'missing'
      const id = st.isDirectory() ? `${st.dev}:${st.ino}` : undefined
      if (seen !== undefined && id !== undefined) seen.st = st
      const known = this.#verified.get(parent)
      if (known !== undefined && known === id) {
        if (forWrite) this.#writable(abs, st!)
        return 'ok'
      }
      if (known !== undefined) this.#verified.forget(parent)
      // The directories from the parent up to the nearest one verified before, each a directory by
      // name (lstat: not a symlink), with their identities; that one's path still leading where it
      // was verified (one lstat, as for a known directory), the chain is checked without a
      // realpath, and all of them are known from then on. A realpath read a link per component
      // from `/` for each new directory, as deep as it lies: a tree 500 directories deep cost
      // minutes on both ends of `syncflow serve`, where each file is read or written once (fx27 gap 2).
      const chain: [RelPath, string][] = []
      let above: RelPath | undefined = parent
      let clean = id !== undefined
      while (clean && above !== undefined && (above === parent || !this.#stillVerified(above))) {
        const at = above === parent ? st : lstatSync(this.#abs(above), { throwIfNoEntry: false })
        if (at?.isDirectory()) chain.push([above, `${at.dev}:${at.ino}`])
        else clean = false
        above = parentRelPath(above)
      }
      // (Reached the root: what is at its top level is compared by a realpath, the root's own
      // path may be a symlink to it.)
      if (clean && above !== undefined) {
        for (const [dir, dirId] of chain) this.#verified.set(dir, dirId)
        if (forWrite) this.#writable(abs, st!)
        return 'ok'
      }
      const real = realpathSync.native(abs)
      if (real === join(rootReal, parent)) {
        // Every directory on the way resolves to itself too (identities taken before the realpath).
        if (clean) for (const [dir, dirId] of chain) this.#verified.set(dir, dirId)
        if (forWrite && st?.isDirectory()) this.#writable(abs, st)
        return 'ok'
      }
    } catch (err) {
      if (isMissing(err)) return 'missing'
      throw err
    }
    // Something in the chain resolves elsewhere: name the symlink.
    throw this.#symlinkInChain(rel, op)
  }

  /** True when `dir` was verified (see `#parentState`) and its path still leads to that directory. */
  #stillVerified(dir: RelPath): boolean {
    const known = this.#verified.get(dir)
    if (known === undefined) return false
    const st = lstatSync(this.#abs(dir), { throwIfNoEntry: false })
    return st?.isDirectory() === true && `${st.dev}:${st.ino}` === known
  }

  #symlinkInChain(rel: RelPath, op: string): SyncError {
    const sub = this.#symlinkOnTheWay(rel)
    if (sub !== undefined) {
      return new SyncError('INVALID_PATH', `parent ${JSON.stringify(sub)} is a symlink; never written through`, {
        op: `local.${op}`,
        path: rel,
        hint: `Replace the symlink ${sub} in ${this.root} by a directory, or exclude ${sub}.`,
      })
    }
    return new SyncError('INVALID_PATH', 'the path does not resolve inside the root', { op: `local.${op}`, path: rel })
  }

  /** The first directory above `rel` (relative to the root) that is a symlink, if any. */
  #symlinkOnTheWay(rel: RelPath): string | undefined {
    const segments = rel.split('/').slice(0, -1)
    for (let i = 1; i <= segments.length; i++) {
      const sub = segments.slice(0, i).join('/')
      let st: Stats | undefined
      try {
        st = lstatSync(join(this.root, sub), { throwIfNoEntry: false })
      } catch {}
      if (st?.isSymbolicLink()) return sub
    }
    return undefined
  }

  /**
   * Throws `CONFLICT` naming the root unless it is a directory (or a symlink to one): what replaced
   * it (a file) fails the write with that, never with an ENOTDIR of the write's temp file.
   */
  #rootIsDirectory(rel: RelPath, op: string): void {
    const st = statSync(this.root, { throwIfNoEntry: false })
    if (st?.isDirectory()) return
    throw new SyncError('CONFLICT', `the root ${this.root} is ${st === undefined ? 'missing' : 'not a directory'}`, {
      op: `local.${op}`,
      path: rel,
      hint: `Nothing was written: move what is at ${this.root} away, or give another target directory.`,
    })
  }

  /**
   * Creates the root and the missing parents of `rel`, never through a symlink. Undefined, not a
   * promise, in the common case: the root was made and the parent is there (one lstat).
   */
  #prepareParent(rel: RelPath, op: string, seen?: { st?: Stats }): Promise<void> | undefined {
    // Never into a directory's twin: a watch cycle's `dir/b` went into `Dir/` (review 31).
    const parent = this.#exactNames !== undefined ? parentRelPath(rel) : undefined
    if (parent !== undefined) {
      const twin = this.#exactNames?.twinOf(parent, true)
      if (twin !== undefined) throw this.#caseTwinConflict(twin, op, rel)
    }
    if (this.#rootReal !== undefined && this.#parentState(rel, op, true, seen) === 'ok') return undefined
    const making = this.#makeRootAndParents(rel, op)
    // Made under its own name (its twin was looked for above): not read for again at each write.
    return parent === undefined ? making : making.then(() => this.#exactNames?.made(parent))
  }

  async #makeRootAndParents(rel: RelPath, op: string): Promise<void> {
    if (this.#rootReal === undefined) {
      // Not kept when it failed: a symlink on the way (refused) may be gone by the next write.
      this.#rootMade ??= this.#makeRoot().catch((err: unknown) => {
        this.#rootMade = undefined
        throw err
      })
      await this.#rootMade
    }
    if (this.#parentState(rel, op, true) === 'ok') return
    const parent = parentRelPath(rel) ?? ''
    const pending = this.#creating.get(parent)
    if (pending !== undefined) {
      // Another write is creating this directory. Should that fail, this one finds out for itself
      // (its own path in the error), or succeeds if what failed has been fixed meanwhile.
      const made = await pending.then(
        () => true,
        () => false,
      )
      return made ? undefined : this.#makeParents(rel, op)
    }
    const making = this.#makeParents(rel, op).finally(() => this.#creating.delete(parent))
    this.#creating.set(parent, making)
    return making
  }

  /**
   * Creates the missing directories above `rel`, each checked to be a real directory (not a
   * symlink), starting with the root itself and its parents should they have gone since the first write.
   */
  async #makeParents(rel: RelPath, op: string): Promise<void> {
    await this.#makeRootPath()
    this.#rootIsDirectory(rel, op)
    // Where each directory above `rel` ends in it: `rel.slice(0, ends[i])` is the i-th.
    const ends: number[] = []
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) ends.push(i)
    // From the nearest directory that is there (checked again, as each made), not from the root: a
    // walk from the root for each new directory cost O(depth) calls per level of a deep tree, 20,000
    // mkdirs for 200 levels, and through `syncflow serve` minutes (fx28). What is skipped is
    // checked all the same: the handle the first call goes through is opened from the root down,
    // never through a symlink (see `#place`); by path, the first one made is checked by its real
    // path (see `#makeDirectory`).
    let parentStat: Stats | undefined
    const start = this.#directoriesThere(rel, ends)
    for (let i = start; i < ends.length; i++) {
      const sub = rel.slice(0, ends[i])
      // Being made by another write (those that start at once walk in step): waited for, not made
      // again. Should that fail, this one makes it itself (its own path in the error).
      const pending = this.#makingDirs.get(sub)
      const madeByAnother = pending !== undefined && (await pending.then(succeeded, failed))
      if (madeByAnother) {
        parentStat = undefined
        continue
      }
      const above = i === 0 ? this.root : this.#abs(rel.slice(0, ends[i - 1]) as RelPath)
      const making = this.#makeDirectory(rel, op, sub, above, parentStat, i === start && start > 0)
      this.#makingDirs.set(sub, making)
      try {
        parentStat = await making
      } finally {
        if (this.#makingDirs.get(sub) === making) this.#makingDirs.delete(sub)
      }
    }
  }

  /**
   * Makes the directory `sub` (above `rel`, being written) in `above` (its path) and checks that
   * it is a real directory (not a symlink), made by us or by a concurrent writer; returns its lstat.
   */
  async #makeDirectory(
    rel: RelPath,
    op: string,
    sub: string,
    above: string,
    aboveStat: Stats | undefined,
    skippedAbove = false,
  ): Promise<Stats> {
    // Made and checked through the handle of the directory above (see `#place`).
    let place: Place
    try {
      place = this.#place(sub as RelPath, op)
    } catch (err) {
      // A symlink above (one a walk from the root would have met first): named for `rel`, as then.
      throw err instanceof SyncError && err.code === 'INVALID_PATH' ? this.#symlinkInChain(rel, op) : err
    }
    try {
      try {
        await mkdir(place.path, this.#dirMode)
        this.#modeLike(place.path, sub)
      } catch (err) {
        if (errnoOf(err) === 'EACCES') {
          // Into a read-only directory of ours: writable for the run (see #writable), then again.
          const st = aboveStat ?? lstatSync(above)
          this.#writable(above, st)
          if (!this.#madeWritable.has(above)) throw err
          await mkdir(place.path, this.#dirMode).catch((again: unknown) => {
            if (errnoOf(again) !== 'EEXIST') throw again
          })
        } else if (errnoOf(err) !== 'EEXIST') throw err
      }
      // Made by us or by a concurrent writer, it must be a real directory.
      const st = await lstat(place.path)
      if (st.isSymbolicLink()) throw this.#symlinkInChain(rel, op)
      if (!st.isDirectory()) {
        throw new SyncError('CONFLICT', `parent ${JSON.stringify(sub.slice(sub.lastIndexOf('/') + 1))} is a file`, {
          op: `local.${op}`,
          path: rel,
        })
      }
      // Made by path (no handles: not Linux, or a directory above that cannot be read), with the
      // directories above it skipped: nothing checked them, the lstats that found `sub` there
      // followed any symlink above it (a/b found through a → /elsewhere), and what is made below it
      // would land outside the root. Its real path says where it leads (one realpath per write
      // that makes directories, by path only; through a handle the open from the root checked it).
      if (skippedAbove && place.path === this.#abs(sub as RelPath)) {
        if (realpathSync.native(place.path) !== join(this.#realRoot(), sub)) throw this.#symlinkInChain(rel, op)
      }
      return st
    } catch (err) {
      throw place.named(err)
    } finally {
      place.release()
    }
  }

  /**
   * How many of the directories above `rel` (ending at `ends`, see `#makeParents`) can be skipped:
   * those above the deepest one that is a directory by name, found by bisection (a `lstat` each:
   * what is there of one chain is a prefix of it; a lstat per missing level from the bottom up
   * cost O(depth) per write where many start at once, before any is made). 0 when anything else
   * is met (a symlink, a file): the walk from the root then says what it is, as before.
   */
  #directoriesThere(rel: RelPath, ends: readonly number[]): number {
    // The first `there` directories are there, from the `missing`-th on they are not (as far as known).
    let there = 0
    let missing = ends.length + 1
    while (missing - there > 1) {
      const n = (there + missing) >> 1
      let st: Stats | undefined
      try {
        st = lstatSync(this.#abs(rel.slice(0, ends[n - 1]) as RelPath), { throwIfNoEntry: false })
      } catch {
        return 0 // ENOTDIR: a file above
      }
      if (st?.isDirectory()) there = n
      else if (st === undefined) missing = n
      else return 0
    }
    // The deepest one there is checked again by the walk (made, else checked).
    return Math.max(0, there - 1)
  }

  /**
   * The entry at `rel` after this backend changed it (`NOT_FOUND` if it vanished at once); stated
   * at `at` (see `#place`) when given.
   */
  #entryOrMissing(rel: RelPath, op: string, parentChecked: boolean, at?: string): Entry {
    const entry = this.#entryAt(rel, parentChecked, undefined, undefined, at)
    if (!entry) throw missing(op, rel)
    return entry
  }

  /**
   * The entry at `rel` as `list` would show it (per symlink policy), or undefined. A dangling
   * symlink under `follow` is undefined too, unless `danglingOp` is given: then it is the error
   * `list` reports for it, with that op. A symlink skipped by policy is told to `onNotice`. Stated
   * at `at` (a path through the parent's handle, see `#place`) when given.
   */
  #entryAt(
    rel: RelPath,
    parentChecked = false,
    danglingOp?: string,
    onNotice?: StatOptions['onNotice'],
    at?: string,
  ): Entry | undefined {
    const abs = at ?? this.#abs(rel)
    let st: Stats | undefined
    try {
      // Metadata calls are synchronous on purpose (as in the walk): a few µs of syscall beat a
      // thread-pool round trip, and a missing path costs no exception.
      st = lstatSync(abs, { throwIfNoEntry: false })
      if (st?.isSymbolicLink()) {
        if (this.symlinkPolicy === 'skip') {
          onNotice?.(symlinkSkipped(rel))
          return undefined
        }
        if (this.symlinkPolicy === 'follow') st = this.#followed(abs, rel, danglingOp)
      }
      if (st === undefined) return undefined
      // A path through a symlinked directory is not an entry of this tree (unless following).
      if (!parentChecked && this.symlinkPolicy !== 'follow' && this.#parentState(rel, 'stat') !== 'ok') {
        return undefined
      }
    } catch (err) {
      if (isMissing(err) || (err instanceof SyncError && err.code === 'INVALID_PATH')) return undefined
      throw err
    }
    if (st.isFile()) return fileEntry(rel, st)
    if (st.isDirectory()) {
      return { path: rel, kind: 'dir', size: 0, mtimeMs: st.mtimeMs, mode: st.mode & 0o7777, version: versionOf(st) }
    }
    if (st.isSymbolicLink()) {
      const linkTarget = readLinkTarget(abs, 'local.stat', rel)
      return { path: rel, kind: 'symlink', size: st.size, mtimeMs: st.mtimeMs, linkTarget, version: versionOf(st) }
    }
    // A FIFO, socket or device is left out as the listing leaves it out, and said so: read as a
    // bare absent path, a watch cycle deleted the target's copy of a file that became a FIFO,
    // which a one-shot sync keeps (QA 25a #5 fixed it for the listing only; QA 29a).
    onNotice?.(specialFileSkipped(rel, st))
    return undefined
  }

  /**
   * The stats of what the symlink at `abs` points to (undefined: dangling, or the link itself gone
   * since). With `danglingOp`, a link still there whose target is missing (ENOENT, or ENOTDIR for
   * a target through a file) throws `danglingSymlink`, as `list` reports it.
   */
  #followed(abs: string, rel: RelPath, danglingOp: string | undefined): Stats | undefined {
    let st: Stats | undefined
    try {
      st = statSync(abs, { throwIfNoEntry: false })
    } catch (err) {
      if (danglingOp === undefined || !isMissing(err)) throw err
    }
    if (st !== undefined || danglingOp === undefined) return st
    // The link itself removed between the two calls is absent, not dangling.
    if (lstatSync(abs, { throwIfNoEntry: false })?.isSymbolicLink() !== true) return undefined
    throw danglingSymlink(danglingOp, rel)
  }

  /** Opens a regular file for reading, per symlink policy. */
  async #openFile(rel: RelPath, op: string): Promise<{ fh: FileHandle; st: Stats }> {
    const follow = this.symlinkPolicy === 'follow'
    let fh: FileHandle | undefined
    try {
      if (!follow && this.#parentState(rel, op) === 'missing') throw missing(op, rel)
      // O_NONBLOCK: a FIFO put where a listed file was would block the open for ever (until a
      // writer comes, beyond Ctrl-C's reach in the thread pool); it is refused below instead.
      fh = await open(this.#abs(rel), READ_FLAGS | (follow ? 0 : constants.O_NOFOLLOW))
      const st = await fh.stat()
      if (!st.isFile()) {
        throw new SyncError('CONFLICT', `not a file (a ${st.isDirectory() ? 'directory' : 'special file'})`, {
          op: `local.${op}`,
          path: rel,
        })
      }
      return { fh, st }
    } catch (err) {
      await fh?.close()
      throw openError(err, op, rel)
    }
  }

  /**
   * `#openFile` with synchronous calls, for local copies: open and fstat of a cached file take
   * microseconds, less than the thread-pool round trips. The caller closes `fd`.
   */
  #openFileSync(rel: RelPath, op: string): { fd: number; st: Stats } {
    const follow = this.symlinkPolicy === 'follow'
    let fd: number | undefined
    try {
      if (!follow && this.#parentState(rel, op) === 'missing') throw missing(op, rel)
      fd = openSync(this.#abs(rel), READ_FLAGS | (follow ? 0 : constants.O_NOFOLLOW))
      const st = fstatSync(fd)
      if (!st.isFile()) {
        throw new SyncError('CONFLICT', `not a file (a ${st.isDirectory() ? 'directory' : 'special file'})`, {
          op: `local.${op}`,
          path: rel,
        })
      }
      return { fd, st }
    } catch (err) {
      if (fd !== undefined) closeSync(fd)
      throw openError(err, op, rel)
    }
  }

  /** `twin.asked` (on the way to `rel`) is `twin.found` on this target, which does not tell them apart by case. */
  #caseTwinConflict(twin: { asked: string; found: string }, op: string, rel: RelPath): SyncError {
    return new SyncError(
      'CONFLICT',
      `"${twin.asked}" is "${twin.found}" on the target: its file system does not tell names apart by case; left untouched`,
      {
        op: `local.${op}`,
        path: rel,
        hint: `Names that differ only in case cannot both be kept here. If the source renamed "${twin.found}" to "${twin.asked}", rename it on the target as well (or delete it there) and run again; if the source holds both, rename or --exclude one of them.`,
      },
    )
  }

  /** Throws CONFLICT unless what is at `rel` (stated at `at`, see `#place`) is still `expected`. */
  #checkExpect(rel: RelPath, expected: Entry | null | undefined, op: string, at: string): void {
    if (expected === undefined) return
    // A special file a mirror's target listed (`ListOptions.specialFiles`) is that entry here, so
    // that the source's file replaces it; for any other `expect` it stays as absent as ever.
    const now =
      this.#entryAt(rel, true, undefined, undefined, at) ?? (expected?.kind === 'file' ? specialAt(rel, at) : undefined)
    const mismatch = expectMismatch(now, expected)
    if (mismatch !== undefined && !onlyCtimeMoved(now, expected)) {
      // Planned as absent but found: on a case-insensitive target (exFAT, FAT, a casefolded
      // directory) that is the name's twin in another case, which the listing had under its own
      // name: say so. "Changed meanwhile: run the sync again" failed the same way on every run
      // (a source's `a.txt` renamed to `A.txt`, or `Readme` next to `README`) (QA 30i #1).
      const twin = expected === null && now !== undefined ? caseTwin(this.root, rel) : undefined
      if (twin !== undefined) throw this.#caseTwinConflict(twin, op, rel)
      throw new SyncError('CONFLICT', `destination ${mismatch} since it was planned; left untouched`, {
        op: `local.${op}`,
        path: rel,
        hint: 'It was changed meanwhile: run the sync again.',
      })
    }
  }

  /**
   * A new name made in one call that fails where anything is at `rel` already (`make`: a link(2),
   * EEXIST then), said as `#checkExpect` says a destination planned absent and found. `make` takes
   * away what it made and then refused itself, and gives the new name's entry.
   */
  async #createWith(rel: RelPath, op: string, make: (dest: string) => Promise<Entry>): Promise<Entry> {
    let place: Place | undefined
    try {
      if (this.#pinnedRoot !== undefined) await this.#checkRootPinned(rel, op)
      const seen: { st?: Stats } = {}
      const preparing = this.#prepareParent(rel, op, seen)
      await preparing
      place = this.#place(rel, op, preparing === undefined ? seen.st : undefined)
      const dest = place.path
      return await make(dest).catch((err: unknown) => {
        if (errnoOf(err) === 'EEXIST') this.#checkExpect(rel, null, op, dest)
        throw err
      })
    } catch (err) {
      throw toSyncError(place?.named(err) ?? err, op, rel)
    } finally {
      place?.release()
    }
  }

  /**
   * The atomic replace shared by every write: create the content at a temp name in the target
   * directory (`make`), re-check `expect`, rename over the destination; on any failure or abort the
   * temp file is removed and the destination is untouched.
   */
  async #replaceWith(
    rel: RelPath,
    op: string,
    opts: WriteOptions,
    make: (tmp: string, dir: string) => Promise<void>,
    /** Keep an interrupted write's temp file as the path's partial, and drop that once written (see `LocalWriteOptions.keepPartial`). */
    partial = false,
  ): Promise<Entry> {
    let place: Place | undefined
    let tmp: string | undefined
    let tmpName: string | undefined
    try {
      opts.signal?.throwIfAborted()
      if (this.#pinnedRoot !== undefined) await this.#checkRootPinned(rel, op)
      // Awaited also when undefined (one tick): write() returns to its caller before the temp file is
      // made, as when this was a promise; a caller erroring the body the moment the temp file shows
      // (a test) then finds writeAll listening to it (else an uncaught 'error' event).
      const seen: { st?: Stats } = {}
      const preparing = this.#prepareParent(rel, op, seen)
      await preparing
      if (this.#sweptDirs !== undefined) await this.#sweepDir(rel)
      // Temp file, check and rename all through the parent's handle: the rename lands where the
      // temp file was made, in the directory checked. Its cached handle is checked with the lstat
      // that checked the parent (one statx per file fewer), when nothing but that tick came between:
      // none of our own calls changed a directory meanwhile (those forget its handle), and another
      // process's change then is one made just after the check, which a handle is proof against.
      const fresh = preparing === undefined && this.#sweptDirs === undefined
      place = this.#place(rel, op, fresh ? seen.st : undefined)
      tmp = tmpName = tempPathFor(place.path)
      await make(tmp, place.dir)
      opts.signal?.throwIfAborted()
      // Just before the rename: an edit made to the destination since planning is never lost.
      this.#checkExpect(rel, opts.expect, op, place.path)
      // Synchronous like the other metadata calls: a group commit releases a thousand renames at once.
      renameSync(tmp, place.path)
      tmp = undefined
      let written = this.#entryOrMissing(rel, op, true, place.path)
      // (Written whole, however: what an earlier, interrupted transfer of it left is of no more use,
      // and would stay hidden until a day old; review of the pull resume #4. Only a file big enough
      // to have left one costs the unlink.)
      if (partial || written.size >= PARTIAL_MIN_BYTES) {
        const dropped = await unlink(partialPathOf(place.path)).then(
          () => true,
          () => false,
        )
        // The partial may have been this very file under a second name (a pull's, see #writeTemp):
        // its ctime, part of the version recorded, moved with that unlink. Taken before it, the next
        // run saw the file changed (a two-way run: a false conflict of every big file it pulled).
        if (dropped) written = this.#entryOrMissing(rel, op, true, place.path)
      }
      return written
    } catch (err) {
      if (tmp !== undefined && place !== undefined && partial) {
        await this.#keepPartial(tmp, place.path, err, opts)
        tmp = undefined
      }
      if (tmp !== undefined) await unlink(tmp).catch(() => {})
      const dest = place?.path ?? this.#abs(rel)
      throw toSyncError(place?.named(namingDestination(err, tmpName, dest)) ?? err, op, rel)
    } finally {
      place?.release()
    }
  }

  /**
   * After a write of `dest` with `keepPartial` failed: its temp file `tmp` becomes the path's
   * partial (replacing an older one) when the upload was interrupted (the client went away, or
   * stopped sending) and holds at least PARTIAL_MIN_BYTES; else it is removed, and so is the
   * partial after a failed check of the bytes (`CHECKSUM`: a patch from it came out wrong, or the
   * upload's length was not the one announced).
   */
  async #keepPartial(tmp: string, dest: string, err: unknown, opts: LocalWriteOptions): Promise<void> {
    const partial = partialPathOf(dest)
    const interrupted = opts.signal?.aborted === true || (isSyncError(err) && INTERRUPTED.has(err.code))
    try {
      const st = await stat(tmp)
      const size = interrupted ? st.size : 0
      const kept = await lstat(partial).catch(() => undefined)
      // The partial is this temp file under a second name (see #writeTemp): kept by dropping the
      // temp file's, or gone with it.
      const linked = kept !== undefined && kept.ino === st.ino && kept.dev === st.dev
      // (Never a shorter one for a longer: a resume stopped early kept less than it started from,
      // review 3 #6; unless the partial it was made from is of another file, whose bytes it does not
      // start with: then what this write fetched is the only base of the file, review of the pull
      // resume #1: a longer partial of the file served before kept every later run from progress.)
      // (Compared where the two end together: a resume stopped while still copying the partial's
      // bytes matches it there, one that fetched another version of the file does not, even where a
      // header of the file stayed the same: review of today's changes #1.)
      const replaces =
        kept === undefined ||
        size > kept.size ||
        (opts.partialIsBase === true &&
          size >= PARTIAL_MIN_BYTES &&
          kept.isFile() &&
          !(await sameBytesBefore(tmp, partial, Math.min(size, kept.size), SAME_END_BYTES)))
      if (size >= PARTIAL_MIN_BYTES && (linked || replaces)) {
        if (linked) await unlink(tmp)
        else await rename(tmp, partial)
        return
      }
      if (linked) await unlink(partial).catch(() => {})
    } catch {
      // (Not kept: removed below, as any temp file.)
    }
    await unlink(tmp).catch(() => {})
    // A patch made from the partial that came out wrong: it is no base to resume from. A full disk:
    // a hidden partial must not keep it full, for every run, until it is a day old (review 3 #2).
    const code = isSyncError(err) ? err.code : toSyncError(err, 'write', '' as RelPath).code
    if ((code === 'CHECKSUM' && opts.partialIsBase === true) || code === 'NO_SPACE')
      await unlink(partial).catch(() => {})
  }

  /**
   * Removes the kept partial uploads in directory `dir` when they are all it holds: true when it
   * is empty now. (Through the caller's handle path of it, as every removal.)
   */
  async #dropPartialsIn(dir: string): Promise<boolean> {
    const names = await readdir(dir).catch(() => undefined)
    if (names === undefined) return false
    const partials = names.filter((n) => {
      const owner = tempOwner(n)
      return owner !== undefined && isPartialOwner(owner)
    })
    if (partials.length !== names.length) return false
    for (const n of partials) await unlink(join(dir, n)).catch(() => {})
    return true
  }

  /** Copies the open source file (`fd`, closed here) at `srcAbs` to `rel`, atomically like `write`. */
  async #copyInto(
    source: { fd: number; st: Stats },
    srcAbs: string,
    rel: RelPath,
    meta: Partial<WriteMeta> & { mtimeMs: number },
    opts: WriteOptions,
    op: string,
    /** `--no-check-updated`: this many bytes as they are, changes tolerated (below SMALL_COPY). */
    tolerated?: number,
    /** The entry the copy is held to (`readOptions.expect`): a change met while copying is then CONFLICT (see changedWhileRead). */
    pinned?: ListedFile,
  ): Promise<Entry> {
    let content: Buffer | undefined
    // As root, a big file is copied from this handle, opened and checked by the caller, never by its
    // name again: a user owning a directory on the source path could swap it meanwhile and have root
    // copy another file (/etc/shadow) into the target (security review 21).
    let readLater = false
    try {
      if (tolerated !== undefined) {
        content = readWhole(source.fd, tolerated)
        if (content.length !== tolerated)
          throw sourceChanged(
            `local.${op}`,
            rel,
            listedOf(source.st),
            `it was truncated to ${content.length} bytes`,
            SHRUNK_HINT,
          )
      } else if (source.st.size < SMALL_COPY) {
        // Small files (most of a tree) are read whole from the handle already open: copyFile would open
        // the source again, try a FICLONE that ext4 refuses, and leave the temp file to be reopened.
        content = readWhole(source.fd, source.st.size)
        const now = fstatSync(source.fd)
        if (!sameFile(source.st, now)) throw changedWhileRead(`local.${op}`, rel, pinned, now)
        // Short of its stat's size while its stat still holds: a pseudo-file (sysfs says 4096 for
        // a few bytes) or a broken filesystem. Published, its copy differed from the listing on
        // every run (updated again each time, check never clean), where every other way of reading
        // it (to grpc://, under --bwlimit) fails it as the engine's size check does (QA 29a).
        if (content.length !== source.st.size) {
          throw sizeMismatch(this, rel, source.st.size, content.length, true)
        }
      } else readLater = writesAsRoot()
    } catch (err) {
      readLater = false
      throw toSyncError(err, op, rel)
    } finally {
      if (!readLater) closeSync(source.fd)
    }
    if (content !== undefined) {
      let data: Buffer | undefined = content
      content = undefined
      // Without a mode, the source's bits, as copyFile would have given.
      const mode = meta.mode ?? source.st.mode & 0o7777
      const commit = this.#commit
      const entry = await this.#replaceWith(rel, op, opts, async (tmp, dir) => {
        const group = reopenable(mode) ? commit?.writer() : undefined
        try {
          const dev = await writeSmall(tmp, data as Buffer, meta.mtimeMs, mode, group === undefined, source.st)
          // In the page cache now: the buffer is not held while the group commits.
          data = undefined
          await group?.durable(tmp, dev, this.#syncDir(dev, dir))
        } finally {
          group?.done()
        }
      })
      opts.onProgress?.(entry.size)
      return entry
    }
    const entry = await this.#replaceWith(rel, op, opts, async (tmp) => {
      // As root, no file of root's may ever stand under a name another user can move (the target's
      // directories are their owners' since owners are kept): copyFile would make the temp file
      // root's with the source's set-id bits for the whole copy, and reopen it by name (review 21
      // #1: renamed away mid-copy, a user's program stayed setuid-root). So it is made private and
      // filled through its own handle, which then gets owner, mode and times. Elsewhere: a reflink
      // where the filesystem can (btrfs, XFS, APFS), a kernel-side copy otherwise.
      const made = readLater ? await copyThroughHandle(source.fd, tmp) : undefined
      if (made === undefined) await copyFile(srcAbs, tmp, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)
      // copyFile opened the path again: the same file, and not written to meanwhile? Through a
      // symlink as copyFile went (`--symlinks follow`): lstat saw the link, another inode, and every
      // linked file of 1 MiB or more "changed while it was read" (QA 9 #2). (Read from the handle:
      // asked of the handle.)
      const now = readLater ? fstatSync(source.fd) : statSync(srcAbs, { throwIfNoEntry: false })
      if (now === undefined || !sameFile(source.st, now)) {
        await made?.close()
        throw changedWhileRead(`local.${op}`, rel, pinned, now)
      }
      // (Never through a symlink put at the temp name meanwhile.)
      const fh = made ?? (await open(tmp, constants.O_RDWR | constants.O_NOFOLLOW))
      try {
        // The source's mode always: the owner set first clears copyFile's set-id bits.
        await finishFile(fh, meta.mtimeMs, meta.mode ?? source.st.mode & 0o7777, source.st)
      } finally {
        await fh.close()
      }
    }).finally(() => {
      if (readLater) closeSync(source.fd)
    })
    opts.onProgress?.(entry.size)
    return entry
  }

  /**
   * A listing that changes nothing (a source's) says a temp-named file it leaves out, unless a live
   * write of this host owns it (this tree is another run's target): a file of the user's that has
   * such a name, or a copy of another syncflow's target, was left out without a word (QA 12 #7).
   */
  async #sayTempSkipped(abs: string, rel: string, name: string, opts: ListOptions): Promise<void> {
    const owner = tempOwner(name)
    // (A kept partial upload is this tree's own, by design: never said.)
    if (owner === undefined || opts.onNotice === undefined || isPartialOwner(owner)) return
    const st = await lstat(abs).catch(() => undefined)
    if (!st || (owner.here && !isStaleTemp(owner, st.ctimeMs))) return
    opts.onNotice({
      code: 'TEMP_NAME_SKIPPED',
      message: `${rel} is named like the temp file of a syncflow write (pid ${owner.pid}): not listed, so not synced (left by an interrupted run, or a file so named: rename it to sync it)`,
      path: rel,
    })
  }

  /**
   * `rootIdentity`: the root must still be the directory it was when checked, or the one
   * `repinRoot` gives now, whose real path, handles and verified directories then replace the old
   * one's (as `rootIdentity()` drops them).
   */
  async #checkRootPinned(rel: RelPath, op: string): Promise<void> {
    if (this.#rootIsPinned() || this.#repinRoot === undefined) return this.#assertRootPinned(rel, op)
    this.#repinning ??= this.#repinRoot().finally(() => {
      this.#repinning = undefined
    })
    const id = await this.#repinning.catch(() => undefined)
    if (id !== undefined && id !== this.#pinnedRoot) {
      this.#pinnedRoot = id
      this.#rootReal = undefined
      this.#pins?.forget('')
      this.#verified.clear()
    }
    this.#assertRootPinned(rel, op)
  }

  #rootIsPinned(): boolean {
    const st = statSync(this.root, { throwIfNoEntry: false })
    return st?.isDirectory() === true && `${st.dev}:${st.ino}` === this.#pinnedRoot
  }

  #assertRootPinned(rel: RelPath, op: string): void {
    if (this.#rootIsPinned()) return
    throw new SyncError('INVALID_PATH', `the root ${this.root} is no longer the directory checked when the run began`, {
      op: `local.${op}`,
      path: rel,
      hint: 'It was replaced meanwhile (renamed, or a symlink put in its place): nothing is written there. Check who else writes to it.',
    })
  }

  /** The root, made if missing (its own mode as `dirModesFrom`'s root, when made here). */
  async #makeRoot(): Promise<void> {
    const existed = lstatSync(this.root, { throwIfNoEntry: false }) !== undefined
    await this.#makeRootPath()
    if (!existed) this.#modeLike(this.root, '')
  }

  /**
   * The root and the directories above it, made where missing. Below `rootBelow`, from there down
   * through handles, never through a symlink: by path, `mkdir -p` made the directories of a client
   * root of `syncflow serve` outside the served one when a directory on the way was swapped for a
   * symlink to there (review h-rev-grpc).
   */
  async #makeRootPath(): Promise<void> {
    if (this.#pins !== undefined && this.#rootBelow !== undefined) makeFrom(this.#rootBelow, this.root, this.#dirMode)
    else await makeDirectories(this.root, this.#dirMode)
  }

  /**
   * `dirModesFrom`: a directory just made here at `rel` takes the mode of that directory's namesake
   * there (rsync's backup directories do), never writable by group or others; it stays as made
   * (0700 with `privateDirs`) where there is none. Best effort.
   */
  #modeLike(abs: string, rel: string): void {
    if (this.#dirModesFrom === undefined) return
    const there = lstatSync(rel === '' ? this.#dirModesFrom : join(this.#dirModesFrom, rel), { throwIfNoEntry: false })
    if (!there?.isDirectory()) return
    try {
      chmodSync(abs, there.mode & 0o7755)
    } catch {
      // kept as made
    }
  }

  /** `sweepWrittenDirs`: the stale temp files in the directory of `rel`, removed once a run. */
  async #sweepDir(rel: RelPath): Promise<void> {
    const swept = this.#sweptDirs as Set<string>
    const dir = parentRelPath(rel) ?? ''
    if (swept.has(dir)) return
    if (swept.size >= 100_000) swept.clear()
    swept.add(dir)
    const names = await readdir(this.#abs(dir as RelPath)).catch(() => [] as string[])
    for (const name of names) {
      if (tempOwner(name) !== undefined) await this.#removeIfStale('', dir === '' ? name : `${dir}/${name}`, name, {})
    }
  }

  async #removeIfStale(_abs: string, rel: string, name: string, opts: ListOptions): Promise<void> {
    const owner = tempOwner(name)
    if (owner === undefined) return
    let place: Place
    try {
      // Through its directory's handle, as every removal (see `#place`).
      place = this.#place(rel as RelPath, 'list')
    } catch {
      return // its directory gone or swapped meanwhile: not listed either way
    }
    try {
      const st = await lstat(place.path).catch(() => undefined)
      if (!st || !isStaleTemp(owner, st.ctimeMs)) return
      await unlink(place.path)
    } catch {
      return // gone already, or a read-only tree: it is not listed either way
    } finally {
      place.release()
    }
    opts.onNotice?.({
      code: 'STALE_TEMP_REMOVED',
      message: isPartialOwner(owner)
        ? `removed ${rel}, what an interrupted transfer wrote a day ago or more (an upload to a syncflow serve, or a pull from one, kept it for a resume that never came)`
        : `removed ${rel}, a temp file left by an interrupted run (pid ${owner.pid})`,
      path: rel,
    })
  }
}

/**
 * Writes a stream to an open file in batches of up to `WRITE_BATCH` bytes (one `writev` each),
 * pulling the next chunk only after the previous batch is on disk: that is the backpressure.
 * Not `stream.pipeline` into a write stream: a FileHandle write stream closes the handle before
 * the fsync, and pipeline's per-call AbortController and AbortError cost more than a small file's I/O.
 */
async function writeAll(
  fh: FileHandle,
  source: AsyncIterable<Buffer | string>,
  early: EarlyFlush,
  onProgress: ((bytes: number) => void) | undefined,
): Promise<number> {
  let batch: Buffer[] = []
  let size = 0
  let total = 0
  let reported = 0
  const flush = async (): Promise<void> => {
    if (size === 0) return
    const { bytesWritten } = await fh.writev(batch)
    // A short write (a signal, a nearly full disk) is finished by hand; it is rare.
    let rest = bytesWritten < size ? Buffer.concat(batch).subarray(bytesWritten) : undefined
    while (rest && rest.length > 0) rest = rest.subarray((await fh.write(rest)).bytesWritten)
    total += size
    early.wrote(size)
    batch = []
    size = 0
    if (onProgress && total - reported >= PROGRESS_EVERY) {
      reported = total
      onProgress(total)
    }
  }
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    batch.push(buf)
    size += buf.length
    if (size >= WRITE_BATCH) await flush()
  }
  await flush()
  onProgress?.(total)
  return total
}

/**
 * Writes a `Fillable` body (a patched file, a local file) through two buffers of our own: one is
 * filled while the other is written, then they swap. Nothing is allocated per chunk (a patched GiB
 * through fresh 1 MiB buffers cost the server ~0.45 s of garbage collection), and the body's next
 * bytes are read while the last ones go to the page cache. The fill is the backpressure.
 */
async function writeFilled(
  fh: FileHandle,
  body: Fillable,
  early: EarlyFlush,
  opts: WriteOptions,
  /** The size expected (`WriteMeta.size`): the buffers are no bigger than the file needs. */
  size?: number,
): Promise<number> {
  // Two buffers of a whole batch for a file of a few KiB were 2 MiB of garbage per file: a run of
  // 10,000 small files under --bwlimit (which streams every file) spent 5x the user CPU of one
  // without, most of it allocating and collecting them.
  const batch = size === undefined ? WRITE_BATCH : Math.max(1, Math.min(WRITE_BATCH, size))
  const bufs = [Buffer.allocUnsafe(batch), Buffer.allocUnsafe(batch)]
  let i = 0
  let total = 0
  let reported = 0
  let writing: Promise<number> | undefined
  try {
    for (;;) {
      opts.signal?.throwIfAborted()
      const buf = bufs[i] as Buffer
      const n = await body[FILL](buf, 0, buf.length)
      // The other buffer is free again once its write has landed.
      if (writing !== undefined) early.wrote(await writing)
      writing = undefined
      if (n === 0) {
        // An end after an abort may be the abort's doing (the body destroyed under its fill).
        opts.signal?.throwIfAborted()
        break
      }
      writing = writeAt(fh, buf, n, total)
      // Awaited later (after the next fill): handled now, so a failure meanwhile is not "unhandled".
      writing.catch(() => {})
      total += n
      i ^= 1
      if (opts.onProgress && total - reported >= PROGRESS_EVERY) {
        reported = total
        opts.onProgress(total)
      }
    }
  } catch (err) {
    await writing?.catch(() => {})
    // An abort destroys the body: whatever its fill then failed with, the abort is the reason.
    opts.signal?.throwIfAborted()
    throw err
  }
  opts.onProgress?.(total)
  return total
}

/** Writes `buf[0, n)` at `position`, finishing short writes. Resolves with `n`. */
async function writeAt(fh: FileHandle, buf: Buffer, n: number, position: number): Promise<number> {
  let done = 0
  while (done < n) done += (await fh.write(buf, done, n - done, position + done)).bytesWritten
  return n
}

/**
 * True when a file given `mode` can be opened again by name to be made durable (a group commit's
 * fallback fsyncs each file so): always as root; else only where its owner may read it. A 0000 or
 * 0200 file (restored from S3, or sent to a `syncflow serve` run by a user) failed every write with
 * EACCES there, where rsync writes it (QA 29d): it is fsynced through its own handle instead.
 */
function reopenable(mode: number | undefined): boolean {
  return mode === undefined || (mode & 0o400) !== 0 || writesAsRoot()
}

/**
 * fsync, then mtime, owner and mode, on the open temp file (before it is renamed into place). See
 * `setTimes` for `owner`.
 */
async function finishFile(
  fh: FileHandle,
  mtimeMs: number,
  mode: number | undefined,
  owner?: Pick<Stats, 'uid' | 'gid'>,
): Promise<void> {
  await fh.sync()
  await setTimes(fh, mtimeMs, mode, owner)
}

/**
 * Mtime, owner and mode of the open temp file; its stats afterwards (the device, for a group
 * commit). With `owner` (a local source's stats, see `keepOwner`) the file gets its owner before
 * its mode: a chown clears the setuid bit, and the file is never renamed into place with the
 * set-id bits under root's name.
 */
async function setTimes(
  fh: FileHandle,
  mtimeMs: number,
  mode: number | undefined,
  owner?: Pick<Stats, 'uid' | 'gid'>,
): Promise<Stats> {
  await fh.utimes(Date.now() / 1000, utimeSeconds(mtimeMs))
  const kept = owner !== undefined && mode !== undefined ? keepOwner(fh.fd, owner, mode) : mode
  if (kept !== undefined) await fh.chmod(kept & 0o7777)
  return fh.stat()
}

/**
 * Creates `tmp` private (0600, never through a link) and copies `srcAbs` into it through handles,
 * without the name being opened again; the caller sets its owner, mode and times and closes it.
 */
async function copyThroughHandle(sourceFd: number, tmp: string): Promise<FileHandle> {
  const out = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600)
  try {
    const buf = Buffer.allocUnsafe(READ_CHUNK)
    for (let position = 0; ; ) {
      const bytesRead = await readAt(sourceFd, buf, position)
      if (bytesRead === 0) break
      position += bytesRead
      for (let done = 0; done < bytesRead; ) done += (await out.write(buf, done, bytesRead - done)).bytesWritten
    }
    return out
  } catch (err) {
    await out.close()
    throw err
  }
}

/** One positional read of `fd` into `buf`, in the thread pool. */
function readAt(fd: number, buf: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    readCallback(fd, buf, 0, buf.length, position, (err, n) => (err ? reject(err) : resolve(n)))
  })
}

/** Reads up to `size` bytes from the start of `fd` (fewer if the file shrank meanwhile). */
function readWhole(fd: number, size: number, position = 0): Buffer {
  const buf = Buffer.allocUnsafe(size)
  let done = 0
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, position + done)
    if (n === 0) break
    done += n
  }
  return done < size ? buf.subarray(0, done) : buf
}

/**
 * A stream of `data` (one chunk), also `Fillable` from it, as a streamed read of the file is: a
 * consumer that fills its own buffers (a local write, a delta's matching pass) reads it the same
 * way. And `HeldBytes`: one that wants the whole body in memory (an S3 PUT) takes `data` itself.
 */
function bufferStream(data: Buffer): Readable & Fillable & HeldBytes {
  let pos = 0
  const stream = new Readable({
    read() {
      if (data.length > 0) this.push(data)
      this.push(null)
    },
  })
  // Both ways to skip the stream: a writer fills its own buffers, a consumer wanting it all takes the bytes.
  return withHeldBytes(
    withFill(stream, async (buf, offset, length) => {
      const n = Math.min(length, data.length - pos)
      data.copy(buf, offset, pos, pos + n)
      pos += n
      return n
    }),
    data,
  )
}

/**
 * Creates `tmp` with `data` through one handle: write, mtime, the owner of `owner` (a local
 * source's stats, see `keepOwner`: before the mode, which a chown would strip of its set-id bits)
 * and mode, with `fsyncNow` an fsync (the one call worth a thread-pool round trip), close. Private
 * until renamed, as in `write`. Resolves with the file's device (a group commit flushes per filesystem).
 */
async function writeSmall(
  tmp: string,
  data: Buffer,
  mtimeMs: number,
  mode: number,
  fsyncNow: boolean,
  owner?: Pick<Stats, 'uid' | 'gid'>,
): Promise<number> {
  // Through the thread pool, unlike the calls below: creating an inode is the one costly call here
  // (ext4 scans for a free inode not recently deleted: up to 100 µs after a big delete), and on a
  // second core it overlaps the engine's own work.
  const fd = await openAsync(tmp, 'wx', 0o600)
  try {
    let done = 0
    while (done < data.length) done += writeSync(fd, data, done, data.length - done)
    futimesSync(fd, Date.now() / 1000, utimeSeconds(mtimeMs))
    // Its stats before the owner is given (the device is all that is wanted of them, and no call
    // below changes it): a temp file made already with the source's owner and group (root copying
    // root's files, a user copying their own) needs no fchown, nor the geteuid that `keepOwner`
    // asks first. Such a chown would change nothing: the ids are the same, and the file, made
    // 0600 a moment ago, has no set-id bits or file capabilities for it to clear. Saves two
    // system calls per small file in the common case.
    const st = fstatSync(fd)
    const given = owner === undefined || (st.uid === owner.uid && st.gid === owner.gid)
    fchmodSync(fd, (given ? mode : keepOwner(fd, owner, mode)) & 0o7777)
    if (fsyncNow) await fsyncAsync(fd)
    return st.dev
  } finally {
    closeSync(fd)
  }
}

/**
 * The refusal of a change in place to a file with other hard links (a `cp -al` or rsnapshot
 * snapshot shares its inode): its time or mode would change in every snapshot too. The engine
 * writes the file anew instead, a new inode under this name only, as rsync does (QA 22 #9).
 */
function hardLinked(op: string, rel: RelPath, links: number): SyncError {
  return new SyncError(
    'UNSUPPORTED',
    `has ${links - 1} other hard link${links === 2 ? '' : 's'}; not changed in place`,
    {
      op: `local.${op}`,
      path: rel,
    },
  )
}

/** How a file to be read is opened: non-blocking, which only matters for what is not a regular file (refused). */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK
/** How a file is opened to change it in place (times, mode): never through a symlink, never blocking on a FIFO. */
const FILE_FLAGS = READ_FLAGS | constants.O_NOFOLLOW
/** How a directory is opened to change it in place (owner, mode, times): never through a symlink. */
const DIR_FLAGS = FILE_FLAGS | constants.O_DIRECTORY

/**
 * Opens the entry at `path` (`rel`) with `flags` (FILE_FLAGS, DIR_FLAGS) to change it in place:
 * never what a symlink there points to. What stands in the way of a directory (`DIR_FLAGS`) is
 * CONFLICT "a symlink is in the way" or "a file is in the way", as a symlink met for a file is.
 * Undefined where it may not be opened for reading (EACCES, never as root): the caller changes it
 * by path, as before, with no privilege to lose to a swap. Undefined on Windows too, which has no
 * O_NOFOLLOW nor O_DIRECTORY to open it so (and no root to fool).
 */
function openInPlace(path: string, flags: number, rel: RelPath, op: string): number | undefined {
  if (BACKSLASH_SEPARATES) return undefined
  try {
    return openSync(path, flags)
  } catch (err) {
    const code = errnoOf(err)
    if (code === 'EACCES' && !writesAsRoot()) return undefined
    // O_DIRECTORY says ENOTDIR for a symlink too: which one is in the way, the lstat says.
    const inTheWay = code === 'ELOOP' || (code === 'ENOTDIR' && (flags & constants.O_DIRECTORY) !== 0)
    if (!inTheWay) throw err
    const link = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() ?? code === 'ELOOP'
    throw new SyncError('CONFLICT', `a ${link ? 'symlink' : 'file'} is in the way`, {
      op: `local.${op}`,
      path: rel,
      cause: err,
    })
  }
}

/** An open error of a file to be read, translated (a symlink met under preserve/skip is a CONFLICT). */
function openError(err: unknown, op: string, rel: RelPath): SyncError {
  if (errnoOf(err) === 'ELOOP') {
    return new SyncError('CONFLICT', 'is a symlink, not read as a file (symlink policy preserve/skip)', {
      op: `local.${op}`,
      path: rel,
      cause: err,
    })
  }
  return toSyncError(err, op, rel)
}

/**
 * A Node error whose message names a write's temp file `tmp` (`open '…/.syncflow-tmp-…'`, `rename
 * '<tmp>' -> '<abs>'`), with the destination `abs` named instead: the temp name is an internal
 * detail, the user asked for `abs`. Changed in place: the error is ours, just thrown by an fs call.
 */
function namingDestination(err: unknown, tmp: string | undefined, abs: string): unknown {
  if (tmp === undefined || !(err instanceof Error) || !err.message.includes(tmp)) return err
  err.message = err.message.split(`'${tmp}' -> '${abs}'`).join(`'${abs}'`).split(tmp).join(abs)
  return err
}

/**
 * The entry a mirror's target listing gives the special file (FIFO, socket, device) at `rel`
 * (stated at `at`), if one is there.
 */
function specialAt(rel: RelPath, at: string): Entry | undefined {
  let st: Stats | undefined
  try {
    st = lstatSync(at, { throwIfNoEntry: false })
  } catch {
    return undefined // (a parent replaced by a file: nothing there)
  }
  return st === undefined || st.isFile() || st.isDirectory() || st.isSymbolicLink() ? undefined : specialEntry(rel, st)
}

/** For `promise.then(succeeded, failed)`: whether it was fulfilled. */
const succeeded = (): boolean => true
const failed = (): boolean => false

function isMissing(err: unknown): boolean {
  const code = errnoOf(err)
  return code === 'ENOENT' || code === 'ENOTDIR'
}

function missing(op: string, path: string): SyncError {
  return new SyncError('NOT_FOUND', 'no such file', { op: `local.${op}`, path })
}

/** Creates a LocalBackend (see `LocalBackendOptions`). */
export function createLocalBackend(options: LocalBackendOptions): LocalBackend {
  return new LocalBackend(options)
}

/**
 * The hint of a source file that changed since its listing: under --no-check-updated not the
 * usual one, which offers that flag (QA 29a #8); the default one otherwise.
 */
function hintOf(opts: ReadOptions): string | undefined {
  return opts.tolerateChanges ? SHRUNK_HINT : undefined
}

/** How much of a resumed write is compared with the partial it was made from, where both end (`#keepPartial`). */
const SAME_END_BYTES = 64 * 1024

/**
 * Whether files `a` and `b` hold the same `bytes` bytes before offset `end` (false when either
 * cannot be read, or is no regular file: opened without following a symlink and without blocking,
 * so that a FIFO put at a partial's name cannot hang the write, review of today's changes #2).
 */
async function sameBytesBefore(a: string, b: string, end: number, bytes: number): Promise<boolean> {
  const length = Math.min(end, bytes)
  const read = async (path: string): Promise<Buffer | undefined> => {
    const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => undefined)
    if (fh === undefined) return undefined
    try {
      if (!(await fh.stat()).isFile()) return undefined
      const buf = Buffer.alloc(length)
      const { bytesRead } = await fh.read(buf, 0, length, end - length)
      return bytesRead === length ? buf : undefined
    } finally {
      await fh.close()
    }
  }
  const [x, y] = await Promise.all([read(a), read(b)])
  return x !== undefined && y !== undefined && x.equals(y)
}
