import { pipeline, type Readable } from 'node:stream'
import { defer, Observable, type SchedulerLike, type Subscription, throwError } from 'rxjs'
import {
  type Backend,
  type Movable,
  type PartialKeeping,
  type ReadOptions,
  supports,
  type WriteMeta,
  type WriteOptions,
} from '../backend/backend.js'
import { schemeOf } from '../backend/backend-registry.js'
import { heldBytesOf } from '../delta/held-bytes.js'
import { asSyncError, isSyncError, SyncError } from '../errors/sync-error.js'
import { type Action, isTransferAction, MODE_AND_MTIME_DIFFER, MODE_DIFFERS, SAME_CONTENT } from '../model/action.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { FailedEvent, SyncEvent } from '../model/sync-event.js'
import { type ResumeRecord, resumeRecordOf } from '../state/resume-record.js'
import type { StateStore } from '../state/state-store.js'
import { meterStream } from '../util/meter-stream.js'
import type { RateLimiter } from '../util/rate-limiter.js'
import { backUp, keptPathOf } from './back-up.js'
import { fingerprintOf, inPlace, matchesFingerprint, modeToSet } from './decide.js'
import { type HardLinkGroups, linkToFirst } from './hard-link-groups.js'
import { type LinkDest, linkFromDest, wouldLinkFromDest } from './link-from-dest.js'
import { retryTransient } from './retry-transient.js'
import { checkedRead, isListedFile, OBJECT_REPLACED_HINT, sourceChanged } from './size-mismatch.js'
import { vanishedOr } from './vanished-or.js'

/**
 * A delta transfer hook: builds `action.path` on the target from its old content (a `copy`: from
 * the partial an interrupted write of it left, on a target that keeps partials, see
 * `PartialKeeping`); undefined = not applicable. A hook that tells `opts.onWireBytes` what it sent
 * has that counted as the bytes transferred (else the file's size is).
 */
export type DeltaTransfer = (
  source: Backend,
  target: Backend,
  action: Action,
  meta: WriteMeta,
  opts: WriteOptions & { readonly onWireBytes?: (bytes: number) => void },
) => Promise<Entry | undefined>

/** What executing an action needs. */
export interface ExecuteOptions {
  readonly source: Backend
  readonly target: Backend
  readonly dryRun?: boolean
  readonly retries?: number
  readonly retryDelayMs?: number
  readonly scheduler?: SchedulerLike
  readonly limiter?: RateLimiter
  readonly signal?: AbortSignal
  /** Used for `update` actions when present (rsync-style delta). */
  readonly delta?: DeltaTransfer
  /** Files at least this big report `progress` events. [1 MiB] */
  readonly progressMinBytes?: number
  /**
   * Directories are made (or chmod'ed) owner-writable and searchable, since files are yet to be
   * written into them; the caller sets their own modes at the end (DirectoryTimes). [false]
   */
  readonly dirModesLater?: boolean
  /** false: read a source that changes meanwhile as it is, up to its listed size (see `SyncOptions.checkUpdated`). [true] */
  readonly checkUpdated?: boolean
  /** Where a target file goes before it is replaced or deleted (see `SyncOptions.backupTo`). */
  readonly backup?: Backend
  /** See `SyncOptions.backupSuffix` and `backupSuffixKeepsExtension`. */
  readonly backupSuffix?: string
  readonly backupSuffixKeepsExtension?: boolean
  /**
   * The job's state store, where a write keeps what lets a later run resume it after a crash (see
   * `WriteOptions.resume`); absent (`--no-state`, a dry run): nothing is resumed.
   */
  readonly resume?: Pick<StateStore, 'getMeta' | 'setMeta' | 'deleteMeta'>
  /** A new file one of these directories holds unchanged is hard-linked from there (see `SyncOptions.linkDest`). */
  readonly linkDest?: LinkDest
  /** `-H`: a later name of a source file is linked to its first name's file (see `SyncOptions.hardLinks`). */
  readonly hardLinks?: HardLinkGroups
  /**
   * A move (`SyncOptions.removeSourceFiles`): a new file is hard-linked to the source's where the
   * target can (one local file system: no byte copied), its source name then removed as any other's,
   * which makes it a rename, as `mv` and rclone's move make one. Elsewhere it is copied.
   */
  readonly moveByLink?: boolean
  /** Paths a move keeps in the source (`SyncOptions.keepSourcePaths`): copied, never linked. */
  readonly keepInSource?: ReadonlySet<string>
}

/** Per-call options of `executeAction`. */
export interface ExecuteCallOptions {
  /** Emit `started` (false for a second attempt of an action that already announced itself). [true] */
  readonly announce?: boolean
}

interface Outcome {
  readonly bytes: number
  readonly entry?: Entry
  /** The target's old file was kept in the backup directory first. */
  readonly kept?: boolean
  /** What was done instead of the action (a paired rename copied: see SAME_CONTENT), said in its `completed`. */
  readonly instead?: Action
  /** The new file was hard-linked from a `linkDest` directory, or (`-H`) to its first name, not copied. */
  readonly linked?: boolean
  /** The new file is the source's own, linked to its new name (`moveByLink`). */
  readonly moved?: boolean
}

/**
 * Executes one action with retries of TRANSIENT errors: `started`, then `progress` for big files,
 * then `completed` or `failed` (never an Observable error). A destination that changed since it
 * was planned is not replaced (`expect`), so an edit made there meanwhile is not lost.
 *
 * Thousands of small transfers can be in flight at once (a target that commits writes in groups),
 * so the common case is one promise and one subscriber: the retry machinery (`retryTransient`,
 * backoff on the scheduler) is set up only once a first attempt has failed with TRANSIENT.
 */
export function executeAction(
  action: Action,
  opts: ExecuteOptions,
  call: ExecuteCallOptions = {},
): Observable<SyncEvent> {
  return new Observable<SyncEvent>((subscriber) =>
    startAction(action, opts, call, {
      next: (e) => subscriber.next(e),
      complete: () => subscriber.complete(),
    }),
  )
}

/** The SyncError each failed event of `startAction` was made from (its `error` is the serialized form). */
const failedWith = new WeakMap<FailedEvent, SyncError>()

/**
 * The error an action's failed event (from `executeAction`/`startAction`) was made from, with what
 * its JSON form leaves out (`unreachable`); undefined for another event.
 */
export function errorOfFailure(e: FailedEvent): SyncError | undefined {
  return failedWith.get(e)
}

/** Where `startAction` sends an action's events, and says it is over. */
export interface ActionSink {
  next(e: SyncEvent): void
  complete(): void
}

/**
 * `executeAction` without an Observable: runs `action` at once, its events to `sink` (the last one
 * `completed` or `failed`, then `complete`). Returns what cancels it (nothing more reaches the sink).
 * For the transfer operator, which runs thousands: no subscriber chain per action.
 */
export function startAction(
  action: Action,
  opts: ExecuteOptions,
  call: ExecuteCallOptions,
  sink: ActionSink,
): () => void {
  let closed = false
  const t0 = performance.now()
  if (call.announce !== false) sink.next({ type: 'started', ts: Date.now(), action })
  // (-H: a later name's link may wait on this one from now on; see HardLinkGroups.firstDone.)
  opts.hardLinks?.started(action)
  const onProgress = (bytes: number): void => {
    if (closed) return
    sink.next({ type: 'progress', ts: Date.now(), path: action.path, bytes, total: action.source?.size ?? 0 })
  }
  const complete = (outcome: Outcome): void => {
    if (closed) return
    closed = true
    opts.hardLinks?.settled(action, outcome.entry)
    sink.next({
      type: 'completed',
      ts: Date.now(),
      action: outcome.instead ?? action,
      bytes: outcome.bytes,
      durationMs: performance.now() - t0,
      ...(opts.dryRun ? { dryRun: true } : {}),
      ...(outcome.entry ? { result: outcome.entry } : {}),
      ...(outcome.kept ? { kept: true as const } : {}),
      ...(outcome.linked ? { linked: true as const } : {}),
      ...(outcome.moved ? { moved: true as const } : {}),
    })
    sink.complete()
  }
  const failNow = (err: unknown): void => {
    if (closed) return
    closed = true
    opts.hardLinks?.settled(action, undefined)
    const error = asSyncError(err, `${action.kind}`, action.path)
    const failed: FailedEvent = {
      type: 'failed',
      ts: Date.now(),
      path: action.path,
      action,
      error: error.toJSON(),
      stage: action.kind === 'delete' ? 'delete' : 'transfer',
    }
    failedWith.set(failed, error)
    sink.next(failed)
    sink.complete()
  }
  // A pull of a new file stopped (or cut off for good) says first what it kept for the next run to
  // resume from, as an upload does (UPLOAD_KEPT).
  const partials = partialsFor(action, opts)
  const fail =
    partials === undefined
      ? failNow
      : (err: unknown): void => {
          if (closed) return
          if (!isSyncError(err) || (err.code !== 'ABORTED' && err.code !== 'TRANSIENT')) {
            failNow(err)
            return
          }
          partials
            .partialOf(action.path)
            .then((kept) => {
              if (kept === undefined || kept.size === 0 || closed) return
              sink.next({
                type: 'notice',
                ts: Date.now(),
                code: 'DOWNLOAD_KEPT',
                message: `download of ${action.path} kept for resume (${kept.size} of ${action.source?.size ?? 0} bytes written): the next run fetches the rest`,
                path: action.path,
              })
            })
            .catch(() => {})
            .then(() => failNow(err))
        }
  let attempts = 0
  // What an attempt kept in the backup directory: a retry keeps nothing more (see `keepOld`).
  const kept: BackupMemo = {}
  // (Only a file's copy or update writes bytes a later run could resume: no closures for the rest.)
  if (opts.resume !== undefined && !opts.dryRun && action.source?.kind === 'file' && isTransferAction(action.kind)) {
    const notice = (code: 'UPLOAD_RESUMED' | 'UPLOAD_KEPT') => (message: string) => {
      if (!closed) sink.next({ type: 'notice', ts: Date.now(), code, message, path: action.path })
    }
    kept.resume = resumeRecordOf(opts.resume, action.path, notice('UPLOAD_RESUMED'), notice('UPLOAD_KEPT'))
  }
  if (action.linkTo !== undefined && opts.hardLinks !== undefined) {
    kept.linkRefused = (message) => {
      if (!closed) sink.next({ type: 'notice', ts: Date.now(), code: 'HARD_LINK_COPIED', message, path: action.path })
    }
  }
  // (A dry run says a later name of a file -H links as linked: the run links it unless its first name fails.)
  const attempt = (): Promise<Outcome> =>
    opts.dryRun ? dryOutcome(action, opts) : run(action, opts, onProgress, attempts++ > 0, true, kept)
  let retrying: Subscription | undefined
  attempt().then(complete, (err: unknown) => {
    if (closed) return
    if (!isSyncError(err) || !(err.retryable || err.code === 'CHECKSUM') || opts.retries === 0) {
      fail(err)
      return
    }
    // The first failure is replayed into the retry operator, which waits its backoff before attempt 2.
    let first: { err: unknown } | undefined = { err }
    retrying = defer(() => {
      const replay = first
      first = undefined
      return replay ? throwError(() => replay.err) : attempt()
    })
      .pipe(
        retryTransient({
          // Bytes that did not match their checksum (changed on the network, or a file changed
          // under a delta) are sent once more, as rsync redoes a file that fails its whole-file
          // check; an object damaged on the service fails so again, and so the file.
          alsoCodes: ['CHECKSUM'],
          ...(opts.retries !== undefined ? { count: opts.retries } : {}),
          ...(opts.retryDelayMs !== undefined ? { delayMs: opts.retryDelayMs } : {}),
          ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
        }),
      )
      .subscribe({ next: complete, error: fail })
  })
  return () => {
    // (A link waiting on this one gives up too: it makes its own copy, or is cancelled with it.)
    if (!closed) opts.hardLinks?.settled(action, undefined)
    closed = true
    retrying?.unsubscribe()
  }
}

/**
 * The target, when `action` makes a new file that the delta can resume from what an interrupted
 * write of it left (a pull into a target that keeps partials, see `PartialKeeping`); else undefined.
 */
function partialsFor(action: Action, opts: ExecuteOptions): (Backend & PartialKeeping) | undefined {
  const { target } = opts
  return action.kind === 'copy' &&
    action.source?.kind === 'file' &&
    opts.delta !== undefined &&
    supports.partials(target)
    ? target
    : undefined
}

/**
 * An S3 listing has only the upload time: such a source is asked for the stored mtime and mode. The
 * entry stays the one listed (QA 11 #2: an object replaced since was copied whole, its new size
 * written where the listed one was planned): another size or version fails as a read of it would,
 * or, with `checkUpdated: false`, keeps the listed size (its bytes up to it are copied) and drops
 * digests that belong to the new object.
 */
async function withStoredMtime(source: Backend, listed: Entry, opts: ExecuteOptions): Promise<Entry> {
  const now = await source.stat(listed.path)
  if (now === undefined) return listed // gone: the read says NOT_FOUND
  // The listed mtime is the upload time, not comparable with the stored one: size and version tell.
  const compared = { ...now, mtimeMs: listed.mtimeMs }
  if (isListedFile(listed, compared)) return now
  // Named like the backend's own ops (`s3.stat`, as `s3.read` and `s3.write` are: QA 12 #8).
  // (Only object stores list no stored mtime: an object is replaced whole, never appended to.)
  if (opts.checkUpdated !== false) {
    throw sourceChanged(`${schemeOf(source.uri)}.stat`, listed.path, listed, compared, OBJECT_REPLACED_HINT)
  }
  const { hashes: _stale, ...rest } = listed
  return { ...rest, mtimeMs: now.mtimeMs, ...(now.mode !== undefined ? { mode: now.mode } : {}) }
}

/** A dry run's outcome: nothing moved; a new file `--link-dest` (or -H) would link says so. */
async function dryOutcome(action: Action, opts: ExecuteOptions): Promise<Outcome> {
  if (action.linkTo !== undefined && opts.hardLinks) return { bytes: 0, linked: true }
  const src = action.source
  if (action.kind !== 'copy' || opts.linkDest === undefined || src === undefined) return { bytes: 0 }
  const { target, source } = opts
  return (await wouldLinkFromDest(target, source, src, action.path, opts.linkDest, opts.signal))
    ? { bytes: 0, linked: true }
    : { bytes: 0 }
}

async function run(
  action: Action,
  opts: ExecuteOptions,
  onProgress: (bytes: number) => void,
  retried: boolean,
  /** false for a file rewritten with the content it has (a touch that could not be done in place): nothing to back up. */
  replacesContent = true,
  memo: BackupMemo = {},
): Promise<Outcome> {
  let outcome: Outcome
  try {
    outcome = await runAction(action, opts, onProgress, retried, replacesContent, memo)
  } catch (err) {
    throw await vanishedOr(err, action, opts.source)
  }
  return memo.expected !== undefined ? { ...outcome, kept: true } : outcome
}

/** The target entry an attempt of the action kept in the backup directory, and expected from then on. */
interface BackupMemo {
  expected?: Entry
  /** Where the action's write may keep what lets a later run resume it (see `ExecuteOptions.resume`). */
  resume?: ResumeRecord
  /** -H: says that a later name is copied, the target refusing its link (`HARD_LINK_COPIED`). */
  linkRefused?: (message: string) => void
}

async function runAction(
  action: Action,
  opts: ExecuteOptions,
  onProgress: (bytes: number) => void,
  retried: boolean,
  replacesContent: boolean,
  memo: BackupMemo,
): Promise<Outcome> {
  if (opts.signal?.aborted) throw new SyncError('ABORTED', 'interrupted before start', { path: action.path })
  const { source, target } = opts
  const s = action.source
  // `--backup-dir`: the target's file is kept there before this action replaces or deletes it.
  // Returns the entry to expect at the path from then on (a hard link changed a local file's ctime).
  // A retry after a failure that followed the backup keeps nothing more, and expects what the
  // attempt that kept it expected: an edit made in between is refused, as it would be without.
  const keepOld = async (): Promise<Entry | undefined> => {
    const planned = action.target
    if (opts.backup === undefined || !replacesContent || planned === undefined || planned.kind === 'dir') return planned
    const earlier = memo.expected
    const as = keptPathOf(action.path, opts.backupSuffix, opts.backupSuffixKeepsExtension)
    const now = await backUp(target, opts.backup, action.path, {
      planned,
      as,
      ...(earlier ? { kept: earlier } : {}),
      ...(opts.limiter ? { limiter: opts.limiter } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
    if (now === undefined) return planned
    memo.expected = now
    return now
  }
  switch (action.kind) {
    case 'copy':
    case 'update': {
      if (!s) throw new SyncError('UNKNOWN', 'transfer without a source entry', { path: action.path })
      const src = s.kind === 'file' && !source.capabilities.listMtime ? await withStoredMtime(source, s, opts) : s
      const expect = action.kind === 'copy' ? null : (action.target ?? null)
      // A new file that the delta can resume (a pull into a target that keeps partials): an
      // interrupted write of it keeps what it wrote for the next run (rsync's --partial).
      const resumable = partialsFor(action, opts) !== undefined
      const writeOptions: WriteOptions = {
        expect,
        ...(resumable ? { keepPartial: true } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(memo.resume && s.kind === 'file' ? { resume: memo.resume } : {}),
        ...(s.size >= (opts.progressMinBytes ?? 1 << 20) ? { onProgress } : {}),
      }
      if (s.kind === 'symlink') {
        if (!supports.symlink(target) || s.linkTarget === undefined) {
          throw new SyncError('UNSUPPORTED', 'target cannot store symlinks', { path: action.path })
        }
        const expected = action.kind === 'update' ? await keepOld() : undefined
        await target.symlink(action.path, s.linkTarget, expected ? { ...writeOptions, expect: expected } : writeOptions)
        // rsync -a keeps a symlink's own mtime too; best effort (not every system can set it).
        if (supports.setMtime(target)) await target.setMtime(action.path, s.mtimeMs).catch(() => {})
        return { bytes: 0 }
      }
      const mtimeNs = src.kind === 'file' ? await exactMtime(source, target, action.path, src.mtimeMs) : undefined
      const meta: WriteMeta = {
        size: src.size,
        mtimeMs: src.mtimeMs,
        ...(src.mode !== undefined ? { mode: src.mode } : {}),
        ...(src.hashes ? { hashes: src.hashes } : {}),
        ...(mtimeNs !== undefined ? { mtimeNs } : {}),
      }
      // Every read of the source is for the entry planned: one that changed since (a same-size edit
      // too, QA 8 #3) fails where the source can tell, rather than be written under the old mtime.
      // The run's signal too: a read that never opens (a plugin's server that does not answer)
      // no longer keeps a stopped run waiting (see checkedRead).
      const readOptions: ReadOptions = {
        ...(opts.checkUpdated === false ? { tolerateChanges: true } : src.kind === 'file' ? { expect: src } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      }
      const transfer = async (): Promise<Outcome> => {
        const expected = action.kind === 'update' ? await keepOld() : undefined
        const wopts = expected ? { ...writeOptions, expect: expected } : writeOptions
        // rsync's -H: a later name of a source file is linked to its first name's new file. Not a
        // file a move keeps in the source: the first name may have been moved by a link, the
        // source's file itself, and the kept file would be one with the target's copy.
        if (
          action.linkTo !== undefined &&
          opts.hardLinks !== undefined &&
          opts.keepInSource?.has(action.path) !== true
        ) {
          const linked = await linkToFirst(target, action, opts.hardLinks, wopts.expect, memo.linkRefused ?? (() => {}))
          if (linked !== undefined) return { bytes: 0, entry: linked, linked: true }
        }
        // A move within one file system: the source's file itself under its new name.
        if (
          action.kind === 'copy' &&
          opts.moveByLink &&
          src.kind === 'file' &&
          opts.keepInSource?.has(action.path) !== true &&
          supports.linkFrom(target)
        ) {
          const linked = await target.linkFrom(source, action.path, action.path, {
            expect: src,
            targetExpect: null,
            forMove: true,
          })
          if (linked !== undefined) return { bytes: 0, entry: linked, moved: true }
        }
        // rsync's --link-dest: the last snapshot's copy, unchanged, is linked rather than copied.
        if (action.kind === 'copy' && opts.linkDest !== undefined) {
          const linked = await linkFromDest(target, source, src, action.path, opts.linkDest, opts.signal)
          if (linked !== undefined) return { bytes: 0, entry: linked, linked: true }
        }
        // Direct copies bypass the bandwidth limit only when no limit is set: a limited run streams.
        if (!opts.limiter && supports.copyFrom(target)) {
          // A copy the target makes from bytes it already holds may say what crossed the wire.
          let moved: number | undefined
          const entry = await target.copyFrom(source, action.path, action.path, meta, {
            ...wopts,
            readOptions,
            onWireBytes: (n) => {
              moved = (moved ?? 0) + n
            },
          })
          if (entry) return { bytes: moved ?? s.size, entry }
        }
        if ((action.kind === 'update' || resumable) && opts.delta) {
          // What crossed the wire (changed blocks and instructions), not the size of the file built.
          let moved: number | undefined
          const entry = await opts.delta(source, target, action, meta, {
            ...wopts,
            readOptions,
            onWireBytes: (n) => {
              moved = (moved ?? 0) + n
            },
          })
          if (entry) return { bytes: moved ?? entry.size, entry }
        }
        return streamCopy(action, meta, readOptions, wopts, opts)
      }
      if (!retried) return transfer()
      const landed = await landedEarlier(target, action, meta)
      if (landed) return { bytes: 0, entry: landed }
      try {
        return await transfer()
      } catch (err) {
        // The earlier attempt can also land after that check (a server that committed it late).
        const late = isSyncError(err) && err.code === 'CONFLICT' ? await landedEarlier(target, action, meta) : undefined
        if (late) return { bytes: 0, entry: late }
        throw err
      }
    }
    case 'touch': {
      if (s?.kind === 'dir' && supports.mkdir(target)) {
        // Set in place where the target can. One that another user owns refuses it (only the owner
        // may set a directory's times): said as rsync's "failed to set times" is, a failure that
        // holds back no delete (see dirModeRefused). Through mkdir, best effort, the run printed
        // `touched d` and exit 0 on every run while the mtime stayed as it was.
        if (supports.setMtime(target)) {
          let entry: Entry | undefined
          try {
            entry = await target.setMtime(action.path, s.mtimeMs)
          } catch (err) {
            if (isSyncError(err) && err.code === 'PERMISSION') {
              const refused = new SyncError(
                'PERMISSION',
                "the directory's mtime could not be set: only its owner may change it",
                { op: 'setMtime', path: action.path, hint: DIR_MODE_REFUSED_HINT, cause: err },
              )
              dirModeErrors.add(refused)
              throw refused
            }
            // Gone since it was listed: made again, with its mtime, as before; and a target that
            // sets times only for files (a plugin's UNSUPPORTED) keeps its mkdir, best effort.
            if (!isSyncError(err) || (err.code !== 'NOT_FOUND' && err.code !== 'UNSUPPORTED')) throw err
          }
          if (entry !== undefined) {
            // (A file or symlink put there since the listing got the mtime: not a directory touched.)
            if (entry.kind !== 'dir') {
              throw new SyncError('CONFLICT', `changed since it was listed (now a ${entry.kind}, not a directory)`, {
                op: 'setMtime',
                path: action.path,
                hint: 'Nothing was deleted on this run; run again once the tree is still.',
              })
            }
            return { bytes: 0 }
          }
        }
        // A target that sets times only through mkdir (best effort there), or a directory made anew.
        await target.mkdir(action.path, { mtimeMs: s.mtimeMs })
        return { bytes: 0 }
      }
      if (!s || !supports.setMtime(target))
        throw new SyncError('UNSUPPORTED', 'cannot set mtime', { path: action.path })
      await recheck(target, action)
      // (A chmod touch whose target has no mode: one the target stores none for, the source's is
      // set: see decideWithIo, QA 25b #7. Every other chmod touch names the target's mode.)
      const missing =
        (action.reason === MODE_DIFFERS || action.reason === MODE_AND_MTIME_DIFFER) &&
        action.target !== undefined &&
        action.target.mode === undefined
      const mode =
        s.kind === 'file' && supports.setMode(target)
          ? missing && s.mode !== undefined
            ? s.mode & 0o7777
            : modeToSet(source, target, s, action.target?.mode)
          : undefined
      // Set-id bits a chmod in place would drop (see `inPlace`): the file is written anew instead.
      if (mode !== undefined && !inPlace(s, mode))
        return run({ ...action, kind: 'update' }, opts, onProgress, retried, false)
      try {
        // A chmod in place (rsync's `.f...p`) where the mode differs and the target can; the mtime
        // after it, unless it is the source's already (a change of mode alone).
        let entry: Entry | undefined
        if (mode !== undefined && supports.setMode(target)) entry = await target.setMode(action.path, mode)
        // (Not after a chmod alone whose file has the source's mtime already, as far as the two sides
        // keep it: an S3 target's listed mtime is its upload time, and a second copy of the object set
        // it for nothing. One equal only under a wider --modify-window gets it: recorded as in sync
        // otherwise, it was trusted for ever after, review 23 F3.)
        const precision = Math.max(source.capabilities.mtimePrecisionMs, target.capabilities.mtimePrecisionMs)
        if (entry === undefined || action.reason !== MODE_DIFFERS || Math.abs(entry.mtimeMs - s.mtimeMs) > precision) {
          const mtimeNs = s.kind === 'file' ? await exactMtime(source, target, action.path, s.mtimeMs) : undefined
          entry = await target.setMtime(action.path, s.mtimeMs, mtimeNs)
        }
        return { bytes: 0, entry }
      } catch (err) {
        // Only a file's owner may set its times or mode: one the user may replace but does not own
        // (a shared, group-writable directory) is written again instead, as rsync does; failing held
        // back every delete of every run (QA 22 #3). So is one that other names share (UNSUPPORTED:
        // a hard link into a `cp -al` snapshot, whose times and mode would change too; QA 22 #9).
        if (s.kind !== 'file' || !isSyncError(err) || (err.code !== 'PERMISSION' && err.code !== 'UNSUPPORTED')) {
          throw err
        }
        return run({ ...action, kind: 'update' }, opts, onProgress, retried, false)
      }
    }
    case 'mkdir': {
      if (!supports.mkdir(target)) return { bytes: 0 }
      const mode = s?.mode !== undefined && opts.dirModesLater ? s.mode | 0o700 : s?.mode
      // The source too: a local target takes a local directory's owner from it (as root).
      await target.mkdir(
        action.path,
        {
          ...(mode !== undefined ? { mode } : {}),
          ...(s ? { mtimeMs: s.mtimeMs } : {}),
        },
        source,
      )
      // A directory that is there and is another user's keeps its mode: only its owner may chmod
      // it, and the backend sets a mode there best effort. The run said `chmod d` and exited 0 on
      // every run while the copy of a 0700 source directory stayed 0777 (`check` said "mode
      // differs"; rsync says "failed to set permissions", exit 23; QA 31b). Told as a failure, which
      // holds back no delete (see dirModeRefused). (Not seen where the mode it had is the one asked
      // for: a 0555 source's directory is asked 0755 first, see dirModesLater.)
      const chmod = action.reason === MODE_DIFFERS || action.reason === MODE_AND_MTIME_DIFFER
      if (action.target !== undefined && chmod && mode !== undefined) {
        const now = target.capabilities.permissions ? await target.stat(action.path) : undefined
        if (now?.kind === 'dir' && now.mode !== undefined && (now.mode & 0o7777) !== (mode & 0o7777)) {
          const refused = new SyncError(
            'PERMISSION',
            `the directory's mode could not be set to ${octal(mode)} (it is still ${octal(now.mode)}): only its owner may change it`,
            { op: 'mkdir', path: action.path, hint: DIR_MODE_REFUSED_HINT },
          )
          dirModeErrors.add(refused)
          throw refused
        }
      }
      return { bytes: 0 }
    }
    case 'delete': {
      // A backend that re-checks the planned entry itself (S3: a conditional DeleteObject, one
      // request instead of a HEAD and a DELETE) is given it; any other is re-checked with a stat.
      const expected = await keepOld()
      if (expected?.kind === 'file' && supports.removeExpect(target)) {
        await target.remove(action.path, { expect: expected })
        return { bytes: 0 }
      }
      await recheck(target, expected === action.target ? action : { ...action, target: expected })
      // (Not on a target that re-checks its own deletes and holds neither symlinks nor empty
      // directories, S3, where a stat per directory would cost each a HEAD. A local or grpc://
      // target re-checks only a file's delete itself: a file written in place of a planned link or
      // empty directory after the listing was deleted with it.)
      if (!supports.removeExpect(target) || target.capabilities.symlinks || target.capabilities.emptyDirs)
        await recheckKind(target, action)
      // A directory's delete tells such a backend it is one: on S3 an implicit directory (keys
      // below a prefix, no marker) is no object, and a plain remove deleted the object of its name,
      // a file written there since, such as the one a watch had just uploaded in its place
      // (review of watch). A local target then leaves a file found there (CONFLICT).
      await target.remove(
        action.path,
        expected?.kind === 'dir' && supports.removeExpect(target) ? { expect: expected } : {},
      )
      return { bytes: 0 }
    }
    case 'move': {
      if (!action.from || !supports.move(target))
        throw new SyncError('UNSUPPORTED', 'cannot move', { path: action.path })
      if (action.reason !== SAME_CONTENT || action.source?.kind !== 'file') {
        return moveCarryingMtime(action, action.from, target, opts, retried)
      }
      try {
        return await moveCarryingMtime(action, action.from, target, opts, retried)
      } catch (err) {
        // A rename the planner paired by content that cannot be done: an S3 object in an archive
        // class (no server-side copy of it until restored), the old file changed or gone since it
        // was listed. Failed, it failed on every run the same way, the new file never sent and the
        // run's deletes always held (review of stop 40): the new file is copied instead, as an
        // unpaired run copies it, and the old one stays for the next run to delete. Not once the
        // rename went through (its new name holds the file: a copy there failed as "appeared").
        if (!isSyncError(err) || err.code === 'ABORTED' || err.code === 'TRANSIENT' || afterRename.has(err)) throw err
        const { from: _from, target: _old, ...rest } = action
        const copy: Action = { ...rest, kind: 'copy', reason: `not renamed (${err.code}: ${err.message})` }
        return { ...(await runAction(copy, opts, onProgress, false, replacesContent, memo)), instead: copy }
      }
    }
    case 'conflict':
    case 'skip':
      return { bytes: 0 }
    default: {
      // Not an Action: a script that pipes `diff`'s pairs or `plan`'s outcomes straight into
      // `transfer` (QA 30c). The switch fell through, the action "completed" with no outcome and
      // `complete` threw a TypeError out of a promise no one awaits: Node's unhandled rejection,
      // which ended the script's process with a stack trace inside syncflow.
      const kind = (action as { kind?: unknown }).kind
      throw new SyncError(
        'USAGE',
        `transfer was given something that is not an Action (kind ${typeof kind === 'string' ? JSON.stringify(kind) : String(kind)})`,
        {
          path: String((action as { path?: unknown }).path ?? ''),
          hint: "transfer takes Actions: keep those of plan's outcomes (decision.kind 'action'), as examples/filtered-copy-with-throughput.mjs does",
        },
      )
    }
  }
}

/** What to do about a directory whose mode or mtime only its owner may change (see the mkdir and touch of `runAction`). */
export const DIR_MODE_REFUSED_HINT =
  "Have the directory's owner (or root) change it, or --exclude it; its contents are synced and the run's deletes are not held back for it."

/** A permission mode as `ls`/`chmod` write it: 0755. */
function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`
}

/**
 * True for the failure of a directory's mode or mtime change alone (the directory another user's:
 * see the mkdir and touch of `runAction`): nothing in the tree went unread or unwritten, so it holds back no delete,
 * as rsync still deletes after a "failed to set permissions".
 */
export function dirModeRefused(e: FailedEvent): boolean {
  const error = failedWith.get(e)
  return error !== undefined && dirModeErrors.has(error)
}

/** The errors of directory modes and mtimes refused (see `dirModeRefused`). */
const dirModeErrors = new WeakSet<SyncError>()

/**
 * A move gives the file the mtime of the source file it now stands for. A rename paired by content
 * (QA 12 #4: `mv logs logs2; echo 1 > n1` pairs the old `logs/sub/f1` with the new `n1`) has a
 * newer mtime on the source than the target file keeps. The backend is asked to carry it (S3 does
 * in its copy); one that did not has it set after. Otherwise the state would record the pair as
 * synced, and a target that lists no mtimes (S3) would then be found "unchanged" by every `sync`
 * while `check` saw the mtimes differ. Where it cannot be set, the move's result is not returned,
 * so nothing is recorded and the next comparison looks at both files.
 */
async function moveCarryingMtime(
  action: Action,
  from: RelPath,
  target: Backend & Movable,
  opts: ExecuteOptions,
  retried: boolean,
): Promise<Outcome> {
  const s = action.source
  // A source that lists no mtimes (S3) is asked for the stored one (the listed one is the upload time).
  const mtimeMs =
    s?.kind !== 'file'
      ? undefined
      : opts.source.capabilities.listMtime
        ? s.mtimeMs
        : (await opts.source.stat(s.path))?.mtimeMs
  const window = Math.max(1, opts.source.capabilities.mtimePrecisionMs, target.capabilities.mtimePrecisionMs)
  // A retry after the move itself went through (its setMtime, or its answer, failed TRANSIENT)
  // finds the file already moved: moving again would fail NOT_FOUND on the old path.
  const moved = retried ? await movedEarlier(target, from, action, mtimeMs, window) : undefined
  // The file to move must still be the one planned, as a delete re-checks the file it removes: one
  // edited on the target since (same size) was moved under the new name with the source's mtime and
  // recorded as in sync, its other bytes standing for the source file unseen by check (QA 29k).
  if (moved === undefined) await recheck(target, { ...action, path: from })
  const mtimeNs = mtimeMs !== undefined ? await exactMtime(opts.source, target, action.path, mtimeMs) : undefined
  const entry =
    moved ??
    (await target.move(from, action.path, {
      expect: null,
      ...(mtimeMs !== undefined ? { mtimeMs } : {}),
      ...(mtimeNs !== undefined ? { mtimeNs } : {}),
    }))
  if (mtimeMs === undefined || Math.abs(entry.mtimeMs - mtimeMs) < window) return { bytes: 0, entry }
  if (!supports.setMtime(target)) return { bytes: 0 }
  try {
    return { bytes: 0, entry: await target.setMtime(action.path, mtimeMs, mtimeNs) }
  } catch (err) {
    // A file other names share (hard links), or another user's (only its owner may set its times),
    // keeps its time: moved, unrecorded, and touched by a rewrite on the next run.
    if (isSyncError(err) && (err.code === 'UNSUPPORTED' || err.code === 'PERMISSION')) return { bytes: 0 }
    if (isSyncError(err)) afterRename.add(err)
    throw err
  }
}

/** Failures of a move after its rename went through (see `moveCarryingMtime`): no copy falls back then. */
const afterRename = new WeakSet<SyncError>()

/**
 * The file an earlier attempt of this move placed: the old path gone and the new one holding the
 * planned file (its size, and its old mtime or the one the move sets).
 */
async function movedEarlier(
  target: Backend,
  from: RelPath,
  action: Action,
  mtimeMs: number | undefined,
  window: number,
): Promise<Entry | undefined> {
  const planned = action.target
  if (planned?.kind !== 'file' || (await target.stat(from)) !== undefined) return undefined
  const now = await target.stat(action.path)
  if (now?.kind !== 'file' || now.size !== planned.size) return undefined
  const near = (ms: number | undefined) => ms !== undefined && Math.abs(now.mtimeMs - ms) < window
  return near(planned.mtimeMs) || near(mtimeMs) ? now : undefined
}

/**
 * The source file's mtime to the nanosecond, for a target that stores it so (S3: rclone compares
 * `x-amz-meta-mtime` to the nanosecond, and re-stamped every object written to the µs, a copy of
 * the object onto itself each). Undefined when the source cannot say it, or says another mtime
 * than planned (changed since: its read fails on that).
 */
async function exactMtime(
  source: Backend,
  target: Backend,
  path: RelPath,
  mtimeMs: number,
): Promise<bigint | undefined> {
  if (target.capabilities.mtimeNs !== true || !supports.mtimeNs(source)) return undefined
  const ns = await source.mtimeNs(path).catch(() => undefined)
  // Agrees to the µs: a double of ms since the epoch carries about a quarter of one.
  return ns !== undefined && Math.abs(Number(ns) / 1e6 - mtimeMs) < 0.001 ? ns : undefined
}

/**
 * After a TRANSIENT failure the earlier attempt may still have landed (the connection dropped after
 * the server committed the file, before its answer arrived). Writing again would then meet its own
 * result as "changed since planned" (`expect`) and fail: a target that now holds exactly the size
 * and mtime this write sets, and differs from what was planned, is that earlier attempt.
 */
async function landedEarlier(target: Backend, action: Action, meta: WriteMeta): Promise<Entry | undefined> {
  const now = await target.stat(action.path)
  if (now?.kind !== 'file' || now.size !== meta.size) return undefined
  if (Math.abs(now.mtimeMs - meta.mtimeMs) >= Math.max(1, target.capabilities.mtimePrecisionMs)) return undefined
  const planned = action.target
  if (planned?.kind === 'file' && matchesFingerprint(fingerprintOf(planned), now)) return undefined
  return now
}

/** Refuses to touch or delete a target file that changed since it was planned. */
async function recheck(target: Backend, action: Action): Promise<void> {
  const planned = action.target
  if (planned?.kind !== 'file') return
  const now = await target.stat(action.path)
  if (now === undefined) return
  if (
    !matchesFingerprint(
      { size: planned.size, mtimeMs: planned.mtimeMs, ...(planned.version ? { version: planned.version } : {}) },
      now,
    )
  ) {
    throw new SyncError('CONFLICT', 'changed on the target since it was planned; left as it is', {
      path: action.path,
      op: `${action.kind}`,
      hint: 'Run the sync again to pick up the new state.',
    })
  }
}

/**
 * A planned symlink or directory is still one (a symlink still pointing where it did) just before
 * its delete, as `recheck` makes sure of a file: `remove` takes whatever the path holds, so a file
 * someone wrote there after the listing, in place of a link or an empty directory, was deleted with
 * no word (exit 0; QA 29k). A directory's own version is not compared: the deletes of its contents
 * change it, and `remove` refuses one that is not empty.
 */
const kindChanged = new WeakSet<SyncError>()

/** True for `recheckKind`'s refusal: a failure, not a directory that could not go (see transfer). */
export function isKindChanged(err: SyncError | undefined): boolean {
  return err !== undefined && kindChanged.has(err)
}

async function recheckKind(target: Backend, action: Action): Promise<void> {
  const planned = action.target
  if (planned === undefined || planned.kind === 'file') return
  const now = await target.stat(action.path)
  if (now === undefined) return
  if (now.kind === planned.kind && (planned.kind !== 'symlink' || now.linkTarget === planned.linkTarget)) return
  const err = new SyncError(
    'CONFLICT',
    now.kind === planned.kind
      ? 'the symlink was pointed elsewhere on the target since it was planned; left as it is'
      : `a ${planned.kind === 'dir' ? 'directory' : planned.kind} when planned, now a ${now.kind === 'dir' ? 'directory' : now.kind} on the target; left as it is`,
    { path: action.path, op: 'delete', hint: 'Run the sync again to pick up the new state.' },
  )
  kindChanged.add(err)
  throw err
}

async function streamCopy(
  action: Action,
  meta: WriteMeta,
  readOptions: ReadOptions,
  wopts: WriteOptions,
  opts: ExecuteOptions,
): Promise<Outcome> {
  // The bytes read must be the size the source listed (see sizeMismatch), checked in the meter
  // that counts them: no extra stream per file.
  const reads = checkedRead(opts.source, action.path, meta.size, readOptions)
  const body = await reads.open()
  // A target that holds what it sends to the limit itself (a resumed upload sends less than the file).
  const metered = opts.limiter !== undefined && opts.target.capabilities.meteredWrites === true
  // Under --bwlimit every body streams through the throttle, as the target consumes it: a held one
  // waiting for the limiter before its write made a paused run (`ui`'s p, which holds writes at the
  // target) show its files in flight at 0 B until resumed, where running transfers are to finish.
  const held = opts.limiter === undefined ? heldBytesOf(body) : undefined
  let bytes = 0
  let stream: Readable
  if (held !== undefined) {
    // A body held whole (a small local file) goes to the target as it is, its length checked
    // here: a meter and a pipeline per file cost more than the rest of a small S3 upload's engine.
    stream = reads.check(body)
    bytes = held.length
  } else {
    const meter = meterStream((n) => {
      bytes = n
    }, reads.meterOptions)
    // pipeline() propagates an error of any stage to the stream the target consumes, so a failing
    // read aborts the write (which then discards its temp file) instead of committing a short file.
    const stages = opts.limiter && !metered ? [body, opts.limiter.throttle(), meter] : [body, meter]
    stream = (pipeline as unknown as (...s: unknown[]) => Readable)(...stages, () => {})
  }
  try {
    // (A held body of another length than listed failed its check already.)
    if (reads.error !== undefined) throw reads.error
    // (A target that sends less than the file, a resumed upload, says what crossed the wire.)
    let wire: number | undefined
    const entry = await opts.target.write(action.path, stream, meta, {
      ...wopts,
      ...(metered ? { limiter: opts.limiter } : {}),
      onWireBytes: (n) => {
        wire = (wire ?? 0) + n
      },
    })
    return { bytes: wire ?? bytes, entry }
  } catch (err) {
    // The target reports the stream's failure in its own words (or as its own write's): ours says what happened.
    throw reads.error ?? err
  } finally {
    body.destroy()
  }
}
