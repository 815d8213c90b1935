import type { Readable } from 'node:stream'
import type { Observable } from 'rxjs'
import type { SyncError } from '../errors/sync-error.js'
import type { Change } from '../model/change.js'
import type { Entry, HashAlgo } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { NoticeCode } from '../model/sync-event.js'
import type { ResumeRecord } from '../state/resume-record.js'
import type { RateLimiter } from '../util/rate-limiter.js'

/**
 * What a backend offers. Declared once, read by the engine to pick a strategy; every optional
 * feature has a fallback (see the table in CONTRIBUTING.md, "Writing a backend").
 */
export interface Capabilities {
  /** Hashes the backend can produce: listed in `Entry.hashes` or computed by `hash()`. */
  readonly hashes: readonly HashAlgo[]
  /**
   * True when `hash()` reads the file's bytes in this process (a local directory): a hash then costs
   * about what reading the file for a copy does. A mirror between two such backends does not pair
   * renames by default (`SyncOptions.trackRenames`): proving the two files equal would cost as much
   * as copying one. [false: listed, stored, or computed where the file is]
   */
  readonly hashReadsContent?: boolean
  /**
   * True when `write` holds what it sends to `WriteOptions.limiter` itself (a `grpc://` server, whose
   * resumed upload sends less than the file): the run's `--bwlimit` then limits the bytes sent, not
   * the body read. [false: the body comes through the limit]
   */
  readonly meteredWrites?: boolean
  /** Granularity of stored modification times in ms (1 = ms or finer; 1000 = whole seconds). */
  readonly mtimePrecisionMs: number
  /**
   * True when `list()` entries carry the preserved mtime. False (S3: the listing only has the upload
   * time) means the engine calls `stat()` when it needs the real mtime.
   */
  readonly listMtime: boolean
  /** Empty directories exist and are listed (`kind: 'dir'`). */
  readonly emptyDirs: boolean
  /** Symlinks can be listed and created. */
  readonly symlinks: boolean
  /** POSIX permission bits are kept. */
  readonly permissions: boolean
  /**
   * The permission bits this backend's listings and stats can show, where fewer than `0o7777` (S3:
   * `0o777`, as setuid, setgid and sticky bits are never read back from metadata anyone with write
   * access to the bucket could set). The engine compares modes only in the bits both sides show:
   * a local file's setuid bit is no difference from an S3 source that cannot tell it, so a
   * restore does not strip it, nor does an upload store a sticky bit again on every run. [0o7777]
   */
  readonly modeBits?: number
  /** `A` and `a` are different names. */
  readonly caseSensitive: boolean
  /** Longest full path in UTF-8 bytes (S3: 1024 minus the prefix); undefined = no limit known. */
  readonly maxPathBytes?: number
  /** How `watch()` learns of changes: OS events, polling, or not at all. */
  readonly watch: 'native' | 'poll' | 'none'
  /**
   * True when `watch()` calls `opts.onReady` once it reports every later change (a recursive OS
   * watcher is ready only after walking the tree); a continuous sync then takes its initial
   * snapshot after that point, so nothing changed in between is missed. [false: ready at once]
   */
  readonly watchReady?: boolean
  /**
   * Transfers this backend serves best at once, when that differs from the engine's default of 8
   * (an object store: each small object is one request, and the service commits many in
   * parallel). The engine runs the larger preference of the two sides unless the user sets
   * `concurrency`; a backend that asks for more bounds its own memory per transfer. [8]
   */
  readonly preferredConcurrency?: number
  /**
   * Small writes this backend makes durable together, one flush per group instead of one per file
   * (the local backend: a `syncfs` per group of temp files, each renamed into place only after it). As
   * a target it is given up to this many small transfers (at most 64 KiB each) at once beyond the
   * engine's concurrency, so that groups fill: no more than the source's `preferredConcurrency` where
   * it states one, and none when the user sets `concurrency`. [none]
   */
  readonly groupCommit?: number
  /**
   * `remove` honours `opts.expect`: it deletes a file only while it is still the planned entry,
   * re-checked by the backend itself (by the service, atomically, where it can: S3's conditional
   * DeleteObject), so the engine does not `stat` before each delete. [false: the engine re-checks
   * with `stat` just before `remove`]
   */
  readonly removeExpect?: boolean
  /**
   * Stores a file's mtime to the nanosecond (S3's `x-amz-meta-mtime`, which rclone compares to the
   * nanosecond): the engine then asks a source that can say it (`mtimeNs`) for the exact mtime of
   * what it writes or touches, and passes it as `WriteMeta.mtimeNs`. [false]
   */
  readonly mtimeNs?: boolean
  /**
   * A file written from a body whose owner this backend cannot know (`write`, a delta; not a
   * `copyFrom` that keeps the source's owner) loses its setuid and setgid bits, as `cp` without
   * `-p` does as root: a local directory, or `syncflow serve`, run by root (kept, a user's setuid
   * program would become root's). The engine then counts a target file whose mode lacks only those
   * bits of the source's as no difference: written again, it would lose them again, on every run.
   * Also a backend whose modes never show those bits, though it stores them (S3: read back from
   * metadata anyone with write access to the bucket could set). [false]
   */
  readonly clearsSetId?: boolean
  /**
   * `list({ linkIds: true })` fills `Entry.linkId`/`nlink` of a file of several names (a local
   * directory): `-H` needs it of the source, and of a target (which must also be `LinkFromCapable`)
   * to see which of its names are one file already. [false]
   */
  readonly linkIds?: boolean
  /**
   * `list` honours `ListOptions.excludeIfPresent` (a local walk reads a directory's names before it
   * lists it, at no cost). A backend without it (an object store's flat listing: a request more per
   * directory, or a tree held) is refused for `--exclude-if-present`. [false]
   */
  readonly excludeIfPresent?: boolean
}

/** Options of `Backend.list`. */
export interface ListOptions {
  /**
   * Called for a part of the tree that could not be listed (permission denied, I/O error) or for
   * a name that cannot be a safe RelPath (`INVALID_PATH`). The listing goes on without it, and the
   * engine, knowing the listing is incomplete, deletes nothing on that run. A backend without
   * `onError` given throws instead.
   */
  readonly onError?: (error: SyncError) => void
  /**
   * Called for things the user should know that are not errors (a stale temp file of a killed run
   * removed under `cleanUp`, a case collision seen). Optional.
   */
  readonly onNotice?: (notice: { code: NoticeCode; message: string; path?: string }) => void
  /** Return true to skip descending into this directory (an excluded directory). */
  readonly prune?: (dir: RelPath) => boolean
  /**
   * `--exclude-if-present`: marker names. A backend with `capabilities.excludeIfPresent` reads each
   * directory's names before it lists the directory, and for one that holds an entry of one of these
   * names (any kind) calls `onMarked` with its path, then lists it as any directory, asking `prune`
   * again before it descends. `''` is the root: then nothing is listed. Not a filter by itself: the
   * run's filter (`withMarkedDirs`) excludes what is marked. [none]
   */
  readonly excludeIfPresent?: readonly string[]
  /** See `excludeIfPresent`: called before anything after the directory is listed. */
  readonly onMarked?: (dir: RelPath | '') => void
  /**
   * True for a name (relative to the root, as listed) that the run's filters exclude. A backend
   * asks it about a name that cannot be a RelPath before reporting it: an excluded unsafe name is
   * skipped silently, so a user can exclude a key like `a//b` that only another tool can rename
   * (reported, it would make every run incomplete and delete nothing). Optional.
   */
  readonly excluded?: (name: string) => boolean
  /**
   * True only when listing the target of a run that writes (never a source, a dry run, `ls` or
   * `check`): the backend may then remove leftovers of its own it meets, such as the temp files of
   * a killed run, and list what an interrupted run left half-done that it would otherwise report
   * (S3: the keys under an object that replaced their directory), so that this run finishes it. A
   * listing that is only read never changes anything. [false]
   */
  readonly cleanUp?: boolean
  /**
   * True when listing the target of a mirror (its `check` and dry run too): a backend whose tree can
   * hold special files (FIFOs, sockets, devices: no content to sync) may list each as a `file` of
   * size 0 instead of leaving it out with a `SPECIAL_FILE_SKIPPED` notice, so that the mirror deletes
   * it (or replaces it by the source's file) as rsync `--delete` does. Left out, a target-only FIFO
   * stayed for ever and kept its directory, which `check` then reported for ever (QA 22 #5). Such an
   * entry is never read nor hashed (`CONFLICT` "not a file"); `remove` deletes it, and a `write`
   * whose `expect` is it replaces it. [false: special files are left out, with the notice]
   */
  readonly specialFiles?: boolean
  /**
   * `-H`: a file of more than one name carries `Entry.linkId` and `Entry.nlink`, so that the engine
   * can give the other side the same link groups. Only a backend whose `capabilities.linkIds` says
   * so fills them; any other ignores this. [false]
   */
  readonly linkIds?: boolean
  readonly signal?: AbortSignal
}

/** Options of `Backend.stat`. */
export interface StatOptions {
  /**
   * As `ListOptions.onNotice`, for what `stat` leaves out on purpose: a symlink skipped by the
   * backend's policy (`SYMLINK_SKIPPED`), so that a watch cycle over changed paths keeps what the
   * target has there, as a full listing does.
   */
  readonly onNotice?: (notice: { code: NoticeCode; message: string; path?: string }) => void
}

/** A byte range of `read`: `length` bytes from `offset` (to the end when `length` is absent). */
export interface ReadRange {
  readonly offset: number
  readonly length?: number
}

/** Options of `read`. */
export interface ReadOptions {
  /**
   * The entry the read is for: the source as listed (or stat'ed) when the transfer was planned. A
   * backend that can tell cheaply at open that the file is no longer it (another size, mtime or
   * version: a local fstat, an S3 `If-Match`) fails the read with `CONFLICT` ("changed since it was
   * listed", see core's `sourceChanged`), since its bytes would be written under this entry's
   * mtime: a same-size edit made between listing and copy would otherwise be published with the old
   * mtime (QA 8 #3). A backend that cannot tell ignores it; the engine holds every read to
   * `expect.size` anyway.
   */
  readonly expect?: Entry
  /**
   * Read the bytes as they are, even when the file changes while it is read (`--no-check-updated`,
   * rclone's `--local-no-check-updated`): a backend that fails such a read otherwise (local:
   * "changed while it was read") does not. The engine then asks for the listed size's bytes only
   * (a log being appended is copied as it was when listed).
   */
  readonly tolerateChanges?: boolean
  /**
   * The run's: once it aborts (Ctrl-C), a read still opening (a server that does not answer) is
   * given up with `ABORTED`, as a write is. A backend that cannot cut its request ignores it: the
   * engine stops waiting for the read anyway (and destroys the stream it may resolve to later).
   */
  readonly signal?: AbortSignal
}

/** Metadata written with a file. */
export interface WriteMeta {
  /** Expected size in bytes, when known (lets S3 pick single PUT vs multipart). */
  readonly size?: number
  /** The source mtime to preserve, ms since the epoch. */
  readonly mtimeMs: number
  /** POSIX permission bits to preserve, when the source has them. */
  readonly mode?: number
  /** Digests of the content, when known (S3 stores one for multipart objects). */
  readonly hashes?: Partial<Record<HashAlgo, string>>
  /**
   * The source mtime to the nanosecond, when the source gave it and it agrees with `mtimeMs` (a
   * double of ms carries about a quarter of a µs): for targets with `capabilities.mtimeNs`.
   */
  readonly mtimeNs?: bigint
}

/** Options of `write`, `move`, `copyFrom`, `patch`. */
export interface WriteOptions {
  /**
   * What the destination must still be just before it is replaced: the Entry listed at plan time
   * (compared by size, mtime and version), `null` for "must not exist", `undefined` for no check.
   * A mismatch throws `CONFLICT` and leaves the destination untouched, so an edit made there after
   * planning is never lost.
   */
  readonly expect?: Entry | null
  /** Called with the number of bytes written so far (at least every 1 MiB or so). */
  readonly onProgress?: (bytesWritten: number) => void
  readonly signal?: AbortSignal
  /**
   * `copyFrom`, `write`: told the bytes that crossed the wire when that is not the file's size (a
   * server that copied bytes it already held, an upload resumed from what an interrupted one left).
   * Not called: the file's size is counted.
   */
  readonly onWireBytes?: (bytes: number) => void
  /** `copyFrom` only: how the source is to be read (as `read`'s options: `expect`, `tolerateChanges`). */
  readonly readOptions?: ReadOptions
  /**
   * `write`, `copyFrom`: where the write may keep what lets a later run of the same job resume it
   * after a crash (S3: a multipart upload), and find what an earlier run left. Absent (no state
   * store, `--no-state`): nothing is resumed. Backends that cannot resume ignore it.
   */
  readonly resume?: ResumeRecord
  /**
   * `write`, to a backend with `capabilities.meteredWrites`: the run's `--bwlimit`, which the backend
   * holds what it sends to (the body then comes unthrottled). Others never get it.
   */
  readonly limiter?: RateLimiter
  /**
   * `write`, to a backend that keeps partials (`PartialKeeping`): a write that is interrupted (the
   * signal aborts, or the body fails `TRANSIENT`) keeps what it wrote, when at least 1 MiB, as the
   * path's partial, for the next write of the file to start from (rsync's `--partial`), unless the
   * partial kept already is longer; a write that completes removes the path's partial, and so does
   * one that failed for a full disk. Others ignore it. [false]
   */
  readonly keepPartial?: boolean
  /**
   * With `keepPartial`: this write is made from the path's partial (a resumed transfer), so a failed
   * check of its bytes (`CHECKSUM`) drops the partial too. [false]
   */
  readonly partialIsBase?: boolean
}

/** Options of `remove`. */
export interface RemoveOptions {
  /**
   * What the file must still be (the Entry planned; compared by size and version, else mtime):
   * a file that changed is left alone and `remove` throws `CONFLICT`; one already gone is no error.
   * Honoured only by a backend that declares `capabilities.removeExpect`; others ignore it.
   */
  readonly expect?: Entry
}

/**
 * The required contract of every backend. Paths are RelPaths relative to the backend's root.
 *
 * - `list` yields every entry below the root, recursively, in ascending UTF-8 byte order of
 *   `entrySortKey` (the path, plus `/` for directories), so `diff` can merge-join two listings in
 *   O(1) memory. It yields only valid RelPaths. A missing root lists nothing (check `stat` of the
 *   root with `rootExists` where it matters); an unreadable root throws `PERMISSION`.
 * - `stat` returns `undefined` for a missing path; never throws `NOT_FOUND`.
 * - `read` throws `NOT_FOUND` for a missing path; the stream is the file's bytes (or the range).
 *   It honours `opts.expect` where it can tell cheaply (see `ReadOptions`).
 * - `write` is atomic: readers see the old content or the new, never a partial file, and a crash
 *   leaves at most a temp file that the next run removes. Missing parent directories are created.
 *   It honours `opts.expect`. It returns the written entry as `stat` would. When it resolves, the
 *   file is on the backend, readable by `read` and `list` at once: the engine records it in the state
 *   store next and may remove its source (`move`), so a backend must not hold it back for `close`.
 *   Durable across a crash or power cut too where the medium allows (the local backend fsyncs, in
 *   groups: see `Flushable`, whose `flush` the engine calls before it removes a moved file's source).
 * - `remove` is idempotent (a missing path is not an error). A directory is removed only when
 *   empty (`CONFLICT` otherwise); the engine removes contents first. With
 *   `capabilities.removeExpect`, it honours `opts.expect` (see `RemoveOptions`).
 * - `close` releases clients and handles; the backend is unusable afterwards. It commits nothing
 *   (see `write`); a target's `close` that throws fails a one-shot run all the same (exit 2).
 *
 * All methods throw `SyncError` only; only code `TRANSIENT` is retried by the engine.
 */
export interface Backend {
  /** The location as given by the user (normalized), e.g. `/home/me/photos`, `s3://b/p`. */
  readonly uri: string
  /** What the backend offers; constant for the backend's life. */
  readonly capabilities: Capabilities
  list(opts?: ListOptions): AsyncIterable<Entry>
  stat(path: RelPath, opts?: StatOptions): Promise<Entry | undefined>
  read(path: RelPath, range?: ReadRange, opts?: ReadOptions): Promise<Readable>
  write(path: RelPath, body: Readable, meta: WriteMeta, opts?: WriteOptions): Promise<Entry>
  remove(path: RelPath, opts?: RemoveOptions): Promise<void>
  close(): Promise<void>
  /** True when the root exists (a missing source root must never empty a target). */
  rootExists(): Promise<boolean>
}

/** Options of `move`. */
export interface MoveOptions extends WriteOptions {
  /**
   * The mtime the file is to carry at its new path. A rename that the engine paired by content
   * comes with the new source file's mtime, not the old one the target file has (QA 12 #4). A
   * backend that can set it in the same request (S3: the copy replaces the metadata) does, and
   * returns the entry with it; one that ignores it returns the old mtime and the engine sets it.
   */
  readonly mtimeMs?: number
  /** `mtimeMs` to the nanosecond, for a target with `capabilities.mtimeNs` (see `WriteMeta.mtimeNs`). */
  readonly mtimeNs?: bigint
}

/** Optional: rename within the backend, atomically where the storage allows. */
export interface Movable {
  move(from: RelPath, to: RelPath, opts?: MoveOptions): Promise<Entry>
}

/** Optional: server-side copy within the backend (no bytes through the client). */
export interface Copyable {
  copy(from: RelPath, to: RelPath, opts?: WriteOptions): Promise<Entry>
}

/**
 * Optional: copy from another backend without streaming through the engine when the two can
 * talk directly (two local directories: `fs.copyFile`; two buckets on one S3 service: CopyObject).
 * Returns `undefined` when it cannot handle this source, and the engine streams instead.
 */
export interface CopyFromCapable {
  copyFrom(
    source: Backend,
    sourcePath: RelPath,
    path: RelPath,
    meta: WriteMeta,
    opts?: WriteOptions,
  ): Promise<Entry | undefined>
}

/**
 * Optional: another name for a file (or symlink) of another backend, sharing its storage: a hard
 * link between two local directories on one filesystem. `--backup-dir` keeps a target file so
 * before it is replaced or deleted: no copy, its bytes, mode and times as they were. Safe because
 * the engine never changes a file's bytes in place (a write replaces it by rename) and `setMtime`
 * and `setMode` refuse a file that other names share (the engine rewrites it instead). Replaces
 * what is at `path`. Returns `undefined` when no link can be made (another backend, another
 * filesystem, one without hard links): the caller copies instead.
 */
export interface LinkFromCapable {
  /**
   * `opts.expect`: what `other` must still have at `otherPath` (its version, size and mtime); the
   * link of anything else is undone and refused with `CONFLICT`. `opts.targetExpect`: what this
   * backend must have at `path` for the link to replace it, as `WriteOptions.expect` (`null`: nothing,
   * `--link-dest`'s new file). The entry returned is the file's as it now is, the same version for
   * both names: what the other side is to expect from then on.
   */
  linkFrom(
    other: Backend,
    otherPath: RelPath,
    path: RelPath,
    opts?: {
      readonly expect?: Entry
      readonly targetExpect?: Entry | null
      /**
       * `--link-dest`: the file the link stands for (the source's), whose owner the linked file must
       * have too, as a copy would give it; where it has not, no link is made (`undefined`).
       */
      readonly ownerOf?: { readonly backend: Backend; readonly path: RelPath }
      /**
       * A move (`SyncOptions.removeSourceFiles`): linked only where `other` may then remove its name
       * (its directory writable: not read-only, on a read-only mount or immutable); else `undefined`
       * (a copy), as the two names would otherwise share one file for good.
       */
      readonly forMove?: boolean
    },
  ): Promise<Entry | undefined>
}

/**
 * Optional: makes the named entries, written or linked by this backend and finished, durable with
 * their names, as a crash cannot undo (a local directory: the directories holding them fsynced,
 * which a rename into them needs beyond the file's own flush). Asked before anything that relies
 * on the copies is done, e.g. `--remove-source-files` deleting the originals. A backend whose
 * finished writes are durable already (S3: a PUT answered) needs none.
 */
export interface Flushable {
  /** `contents`: the files' own data too, not only their names (files this run did not write). */
  flush(paths: readonly RelPath[], opts?: { readonly contents?: boolean }): Promise<void>
}

/**
 * Optional: an identity of the directory the root path leads to now (a local directory's device and
 * inode), undefined when there is none. A `watch` compares it before each cycle: a target root
 * renamed away and made anew (or a symlinked root re-pointed) holds none of the mirror, and is
 * synced in full, not only the changed paths.
 */
export interface RootIdentifiable {
  rootIdentity(): Promise<string | undefined>
}

/** Options of `hash`. */
export interface HashOptions {
  readonly signal?: AbortSignal
  /**
   * Only a hash the backend has without bringing the file's bytes to this process (S3: an MD5 kept
   * in the object's ETag or metadata, never a download of the object); a backend that has none
   * rejects with UNSUPPORTED. One that hashes where the file is (a local directory, a `grpc://`
   * server) may ignore it. Asked by the pairing of renames, which is worth a hash, not a download. [false]
   */
  readonly stored?: boolean
}

/** Optional: compute a digest (hex) of a file's content. */
export interface Hashable {
  hash(path: RelPath, algo: HashAlgo, opts?: HashOptions): Promise<string>
}

/**
 * Optional: set the mtime of an existing file without rewriting it (for `touch` actions).
 * `mtimeNs`, given to a target with `capabilities.mtimeNs` when the source can say it: the same
 * mtime to the nanosecond. A file it cannot change in place may be refused with `PERMISSION` (not
 * the user's) or `UNSUPPORTED` (other names share it: a hard link of a `cp -al` snapshot, whose
 * time would change too): the engine then writes the file anew, as rsync does.
 */
export interface MtimeSettable {
  setMtime(path: RelPath, mtimeMs: number, mtimeNs?: bigint): Promise<Entry>
}

/**
 * Optional: set the permission bits of an existing file in place (a `chmod`), for a `touch` whose
 * source file differs in mode (with the same content): without it, the file is written anew with
 * its mode. Refused as `setMtime` may be (`PERMISSION`, `UNSUPPORTED`): the engine then rewrites it.
 */
export interface ModeSettable {
  setMode(path: RelPath, mode: number): Promise<Entry>
}

/**
 * Optional: a file's mtime to the nanosecond since the epoch (a local file's stat), undefined when
 * it is not there or not a file. Asked only for what is written to a target with
 * `capabilities.mtimeNs`, one call per file: listings keep ms (a nanosecond stat costs more).
 */
export interface MtimeNsReadable {
  mtimeNs(path: RelPath): Promise<bigint | undefined>
}

/** Optional: create a directory (idempotent); needed for empty directories. */
export interface DirCreatable {
  /**
   * `source`: the backend the directory is copied from, at the same path, when the engine makes it
   * for a source directory (a `mkdir` action); a backend that recognizes it may take more of that
   * directory's metadata than `meta` carries (the local backend, from a local source, as root: its
   * owner, as `rsync -a` keeps it). Others ignore it.
   */
  mkdir(path: RelPath, meta?: Partial<WriteMeta>, source?: Backend): Promise<void>
}

/** Optional: create a symlink (atomically replacing what is there). */
export interface Symlinkable {
  symlink(path: RelPath, linkTarget: string, opts?: WriteOptions): Promise<void>
}

/** Optional: a stream of hints about changes below the root (continuous mode). */
export interface Watchable {
  /**
   * Changes below the root from now on (what exists is not reported). `onReady` (called where
   * `capabilities.watchReady`) says from when on every change is reported. Aborting `signal`
   * completes the stream. The engine takes a TRANSIENT error, or an end it did not ask for, as a
   * lost stream: it waits for the side with backoff, subscribes again and rescans; any other error
   * (no watches left, the root gone) makes it poll instead, saying so once. `onResync`, called by a
   * watcher that found its root replaced (renamed over, a symlinked root re-pointed) and watches
   * the new one now, asks for a full sync; `reason` says what happened.
   */
  watch(opts?: { signal?: AbortSignal; onReady?: () => void; onResync?: (reason: string) => void }): Observable<Change>
}

/**
 * Block checksums of a file, for rsync-style delta transfer (see `delta/` in core): block `i` covers
 * bytes `[i * blockSize, (i + 1) * blockSize)`; the last block may be shorter (`size % blockSize`).
 */
export interface FileSignature {
  readonly blockSize: number
  /** Length of the file the signature was computed from. */
  readonly size: number
  /** Rolling weak checksum per block (rsync's: `a | b << 16`, see `weakChecksum`). */
  readonly weak: Uint32Array
  /** Strong hash per block (XXH64, little-endian, truncated to `strongBytes`, concatenated). */
  readonly strong: Uint8Array
  readonly strongBytes: number
}

/**
 * One op of a delta, in order: copy `count` blocks of the base starting at block `index`, or
 * literal bytes (at most 64 KiB), and always, last, `end` with the new file's length and XXH3-128
 * (32 lowercase hex digits, see `createWholeFileHasher`), which the side that applies the delta
 * checks before committing (`CHECKSUM` otherwise).
 */
export type DeltaOp =
  | { readonly type: 'copy'; readonly index: number; readonly count: number }
  | { readonly type: 'literal'; readonly data: Uint8Array }
  | { readonly type: 'end'; readonly size: number; readonly xxh128: string }

/**
 * Optional: rsync-style delta transfer where this backend holds the target (a remote directory):
 * it computes the signature of its file and applies a patch beside it. Backends whose bytes are
 * local do not need it: `deltaTransfer` in core patches any backend through `read` + `write`.
 */
export interface DeltaCapable {
  /**
   * The signature of the file at `path` (`blockSize` 0 = chosen from its size, `blockSizeFor`),
   * or `undefined` when it is missing or not a regular file.
   */
  signature(path: RelPath, blockSize: number, opts?: { signal?: AbortSignal }): Promise<FileSignature | undefined>
  /**
   * Builds `path` from the current content of `path` plus `ops` (which end with an `end` op),
   * atomically (temp file + rename), and verifies the length and whole-file XXH3-128 of the `end`
   * op (and `meta.sha256` when given) before the rename: `CHECKSUM` on mismatch, the old file
   * untouched. Honours `opts.expect` like `write`.
   */
  patch(
    path: RelPath,
    blockSize: number,
    ops: AsyncIterable<DeltaOp>,
    meta: WriteMeta & { readonly sha256?: string },
    opts?: WriteOptions,
  ): Promise<Entry>
}

/**
 * Optional: the reverse direction, where this (remote) backend holds the *source*: given the
 * signature of the target's old version, it reads its own file and streams the delta ops (ending
 * with `end`), so only changed blocks cross the network. Throws `NOT_FOUND` for a missing path.
 */
export interface DeltaSource {
  deltaFrom(path: RelPath, signature: FileSignature, opts?: DeltaFromOptions): AsyncIterable<DeltaOp>
}

/**
 * How `deltaFrom` reads its file: pinned to the entry listed (`expect`: `CONFLICT` when the file
 * is no longer it, as `read` does), or read as it is (`tolerateChanges`), then only its first
 * `length` bytes (the size listed), so that a log still being written is sent as it was listed.
 */
export interface DeltaFromOptions extends ReadOptions {
  readonly signal?: AbortSignal
  readonly length?: number
}

/** What an interrupted write of a file left (see `PartialKeeping`): its length, and its bytes. */
export interface PartialFile {
  /** Its length in bytes when it was found. */
  readonly size: number
  /**
   * Its bytes (`range` of them, as `read`'s); held to the partial that was found: one replaced or
   * written to since fails (`CONFLICT`), one removed since fails `NOT_FOUND`.
   */
  read(range?: ReadRange): Promise<Readable>
}

/**
 * Optional: a backend that keeps what an interrupted write of a file wrote (`WriteOptions.keepPartial`)
 * as that path's partial, out of every listing, and offers it as the basis of the next write of the
 * file: a pull of a new file from a `DeltaSource` then fetches only what the partial lacks, patched
 * onto it and checked whole (rsync's `--partial`, the download direction). The local backend.
 */
export interface PartialKeeping {
  /** The partial of the file at `path`, or `undefined` when there is none (nor a regular file there). */
  partialOf(path: RelPath): Promise<PartialFile | undefined>
}

const has = (b: object, m: string): boolean => typeof (b as Record<string, unknown>)[m] === 'function'

/** Type guards for the optional features (detected by method presence, once). */
export const supports = {
  move: (b: Backend): b is Backend & Movable => has(b, 'move'),
  copy: (b: Backend): b is Backend & Copyable => has(b, 'copy'),
  copyFrom: (b: Backend): b is Backend & CopyFromCapable => has(b, 'copyFrom'),
  linkFrom: (b: Backend): b is Backend & LinkFromCapable => has(b, 'linkFrom'),
  flush: (b: Backend): b is Backend & Flushable => has(b, 'flush'),
  rootIdentity: (b: Backend): b is Backend & RootIdentifiable => has(b, 'rootIdentity'),
  hash: (b: Backend): b is Backend & Hashable => has(b, 'hash'),
  setMtime: (b: Backend): b is Backend & MtimeSettable => has(b, 'setMtime'),
  setMode: (b: Backend): b is Backend & ModeSettable => has(b, 'setMode'),
  mtimeNs: (b: Backend): b is Backend & MtimeNsReadable => has(b, 'mtimeNs'),
  mkdir: (b: Backend): b is Backend & DirCreatable => has(b, 'mkdir'),
  symlink: (b: Backend): b is Backend & Symlinkable => has(b, 'symlink'),
  watch: (b: Backend): b is Backend & Watchable => has(b, 'watch') && b.capabilities.watch !== 'none',
  delta: (b: Backend): b is Backend & DeltaCapable => has(b, 'signature') && has(b, 'patch'),
  deltaFrom: (b: Backend): b is Backend & DeltaSource => has(b, 'deltaFrom'),
  partials: (b: Backend): b is Backend & PartialKeeping => has(b, 'partialOf'),
  /** `remove` re-checks `opts.expect` itself (declared, since every backend has a `remove`). */
  removeExpect: (b: Backend): boolean => b.capabilities.removeExpect === true,
} as const
