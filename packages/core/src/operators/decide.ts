import { type Backend, supports } from '../backend/backend.js'
import { deltaComparesContent } from '../delta/delta-compares-content.js'
import type { CompareMode } from '../engine/sync-options.js'
import { SyncError } from '../errors/sync-error.js'
import { type Action, MODE_AND_MTIME_DIFFER, MODE_DIFFERS } from '../model/action.js'
import { type Entry, entrySortKey, type HashAlgo } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { NoticeCode } from '../model/sync-event.js'
import type { Fingerprint, StateRecord } from '../state/state-store.js'
import type { KeptPaths } from '../util/kept-paths.js'
import { untilAborted } from '../util/until-aborted.js'
import type { EntryPair } from './diff.js'

/** What `decide` needs to know about the run. */
export interface DecideContext {
  readonly source: Backend
  readonly target: Backend
  readonly mode: 'mirror' | 'copy'
  readonly compare: CompareMode
  /** Mtimes closer than this are equal. */
  readonly modifyWindowMs: number
  /** A hash both sides offer, if any. */
  readonly hashAlgo: HashAlgo | undefined
  readonly notice: (code: NoticeCode, message: string) => void
  readonly signal?: AbortSignal
  /**
   * Target paths a mirror keeps although the source lists nothing there: at or below a source
   * symlink skipped by `--symlinks skip` (its backend's notices), or left out here because the
   * target cannot store symlinks (QA 21 F3: a linked directory's copies, made by a run under follow,
   * were deleted; a file there failed the run).
   */
  readonly keptOnTarget?: KeptPaths
  /**
   * A copy into a target without directories (S3: no `mkdir`, so nothing there fails "in the way"):
   * the target's files the source lacks, each held until the merge is past what could lie below it.
   * A source entry below one is not written: keys below an object make it both a file and a
   * directory, which the next listing skips as a CONFLICT (QA 25b #3). A mirror deletes the file.
   */
  readonly filesInTheWay?: KeptPaths
  /** `--ignore-existing`: a path the target has is left as it is (see `SyncOptions.ignoreExisting`). */
  readonly ignoreExisting?: boolean
  /** `--update`: a target file newer than the source's is left as it is (see `SyncOptions.skipNewer`). */
  readonly skipNewer?: boolean
  /** `--max-size`/`--min-size`: source files outside these bounds are left out (see `SyncOptions.maxSize`). */
  readonly maxSize?: number
  readonly minSize?: number
  /**
   * `--max-age`/`--min-age` as mtimes (epoch ms) fixed at the run's start: source files modified
   * before `modifiedAfterMs` or after `modifiedBeforeMs` are left out (see `SyncOptions.maxAgeMs`).
   */
  readonly modifiedAfterMs?: number
  readonly modifiedBeforeMs?: number
}

/** The outcome for one pair: an action, `unchanged` (with the entries to record), or nothing. */
export type Decision =
  | { readonly kind: 'action'; readonly action: Action }
  | {
      readonly kind: 'unchanged'
      readonly source: Entry
      readonly target: Entry
      /**
       * Left as it is by `--ignore-existing` although its listings differ (or cannot tell: S3's
       * upload times): counted in `SyncSummary.leftExisting`, not as unchanged.
       */
      readonly leftExisting?: true
      /**
       * Left as it is by `--update` (`-u`): the target's file is newer than the source's, so not
       * identical: counted in `SyncSummary.leftNewer`, not as unchanged.
       */
      readonly leftNewer?: true
    }
  | { readonly kind: 'none' }

const NONE: Decision = { kind: 'none' }

/** The reason of the `skip` of a source symlink that the target cannot store (the run counts them: one notice). */
export const SYMLINK_NOT_STORED = 'target cannot store symlinks'

/** The first hash in the target's list that the source offers too (the target's order is its preference). */
export function commonHash(source: Backend, target: Backend): HashAlgo | undefined {
  return target.capabilities.hashes.find((h) => source.capabilities.hashes.includes(h))
}

/** The fingerprint kept in the state store for an entry. */
export function fingerprintOf(entry: Entry): Fingerprint {
  return {
    size: entry.size,
    mtimeMs: entry.mtimeMs,
    ...(entry.version !== undefined ? { version: entry.version } : {}),
    ...(entry.mode !== undefined ? { mode: entry.mode & 0o7777 } : {}),
    ...(entry.kind !== 'file' ? { kind: entry.kind } : {}),
  }
}

/**
 * True when a state record says both sides are as the last run left them. A version (an ETag)
 * says the bytes are the same, not that the object is the one the run wrote: one uploaded again
 * with the same bytes by another tool has lost the stored mtime (QA 15 #2). Where a listing
 * gives write times (no real mtimes: S3), an entry written after the record is therefore not
 * trusted, and is compared. The record is stamped by this host's clock once the write is over,
 * the write time by the server's: with no slack between them (there was a second's), a write
 * right after a run (a script's `aws s3 cp` of the same bytes) is compared too. A server clock
 * ahead of this one costs a stat per file written on the next run, once (the record is then
 * stamped again); one behind it by more than a run's writes take may still hide a rewrite of the
 * same bytes within that lag, as a listing's time to the second (AWS) hides one within the
 * second of the record.
 */
export function recordMatches(record: StateRecord, s: Entry, t: Entry, ctx: DecideContext): boolean {
  return (
    sideMatches(record, record.source, s, ctx.source) &&
    sideMatches(record, record.target, t, ctx.target) &&
    !recordedMtimesDisagree(record, ctx)
  )
}

/**
 * True where a record stands for the target's mtime (see `recordedTarget`) and says the pair's
 * mtimes were not equal under this run's window: the record of a run under a wider window, or of
 * a `--size-only` run of an earlier version (which recorded the upload time as the target's
 * mtime). Such a record is not trusted: the pair is compared, as rclone and rsync would (a touch,
 * or the update a size-only run skipped). A target that cannot take an mtime keeps another one
 * whatever the run does, and is trusted as before.
 */
function recordedMtimesDisagree(record: StateRecord, ctx: DecideContext): boolean {
  if (ctx.target.capabilities.listMtime || !ctx.source.capabilities.listMtime || !supports.setMtime(ctx.target)) {
    return false
  }
  return Math.abs(record.source.mtimeMs - record.target.mtimeMs) > ctx.modifyWindowMs
}

/**
 * The window under which mtimes are equal as far as the two sides can store them (the default
 * modify window): a pair whose mtimes are equal only under a wider one is not recorded as in
 * sync (see `recordable`).
 */
export function exactWindowMs(ctx: DecideContext): number {
  return Math.max(ctx.source.capabilities.mtimePrecisionMs, ctx.target.capabilities.mtimePrecisionMs)
}

/**
 * True when a pair decided unchanged by comparison may be recorded as in sync: not under
 * `--size-only` (the mtimes were not compared: a later run would trust a stale target for ever,
 * where rclone and rsync without it compare them), and not when its mtimes are equal only under
 * a modify window wider than the sides' precision (a later run under the default window would
 * never carry the difference over). The entries are the decision's, with real mtimes.
 */
export function recordable(s: Entry, t: Entry, ctx: DecideContext): boolean {
  // (Nor one --ignore-existing left alone, whatever it holds: a later run without it compares it.)
  if (ctx.compare === 'size-only' || ctx.ignoreExisting) return false
  // (A target that cannot take an mtime keeps another one whatever a run does.)
  return !supports.setMtime(ctx.target) || Math.abs(s.mtimeMs - t.mtimeMs) <= exactWindowMs(ctx)
}

/** One side of `recordMatches`. */
function sideMatches(record: StateRecord, fp: Fingerprint, e: Entry, backend: Backend): boolean {
  const writtenSince = !backend.capabilities.listMtime && e.mtimeMs > record.syncedAt
  return matchesFingerprint(fp, e) && !writtenSince
}

/**
 * The target's mode: listed, or, where its listing has none (S3), the one the last run gave it,
 * if the record says the target is still that write (the source may have changed: a chmod, which
 * changes a local file's version, QA 16 F8).
 */
function targetMode(record: StateRecord | undefined, t: Entry, ctx: DecideContext): number | undefined {
  if (t.mode !== undefined || record === undefined) return t.mode
  return sideMatches(record, record.target, t, ctx.target) ? record.target.mode : undefined
}

/** True when `entry` still looks as it did when `fp` was taken (version decides where both have one). */
export function matchesFingerprint(fp: Fingerprint, entry: Entry): boolean {
  if (fp.size !== entry.size) return false
  if (fp.version !== undefined && entry.version !== undefined) return fp.version === entry.version
  return Math.abs(fp.mtimeMs - entry.mtimeMs) < 1
}

/** True when this pair needs the state store to be decided cheaply (a remote stat or a hash). */
export function wantsState(pair: EntryPair, ctx: DecideContext): boolean {
  const { source: s, target: t } = pair
  if (!s || !t || s.kind !== 'file' || t.kind !== 'file') return false
  // (--checksum decides by content, never by a record: no lookup. --size-only looks one up for
  // the mode a listing without modes lacks: QA 16 F8.)
  if (ctx.compare === 'checksum' || s.size !== t.size) return false
  return !ctx.source.capabilities.listMtime || !ctx.target.capabilities.listMtime
}

/** The `algo` hash of a file: as listed (S3's ETag), else asked of the backend; `undefined` where it has none. */
export async function hashOf(
  backend: Backend,
  entry: Entry,
  algo: HashAlgo,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const known = entry.hashes?.[algo]
  if (known !== undefined) return known
  if (!supports.hash(backend)) return undefined
  return backend.hash(entry.path, algo, signal ? { signal } : {})
}

/**
 * Compares content by the common hash; `undefined` when it cannot be told. With `unreadableTarget`
 * a target file this user may not read (PERMISSION) cannot be told either: it is replaced, not
 * read, so it need not block the run (rsync just transfers it).
 */
async function sameContent(
  ctx: DecideContext,
  s: Entry,
  t: Entry,
  unreadableTarget = false,
): Promise<boolean | undefined> {
  if (ctx.hashAlgo === undefined) return undefined
  const targetHash = hashOf(ctx.target, t, ctx.hashAlgo, ctx.signal)
  const [a, b] = await Promise.all([
    hashOf(ctx.source, s, ctx.hashAlgo, ctx.signal),
    unreadableTarget
      ? targetHash.catch((err: unknown) => {
          if (err instanceof SyncError && err.code === 'PERMISSION') return undefined
          throw err
        })
      : targetHash,
  ])
  if (a === undefined || b === undefined) return undefined
  return a === b
}

/**
 * The target entry with its real mtime known without a stat: where its listing lacks mtimes (S3)
 * and the record says the target is still what the last run left, the record has the mtime that
 * run wrote, touched or stat'ed (its target side; never a listed upload time: see `recordable`).
 * A file edited in the source without a change of size then costs its upload alone, not a HEAD
 * first (QA 20 F4: "k PUTs plus LISTs").
 */
function recordedTarget(record: StateRecord | undefined, t: Entry, ctx: DecideContext): Entry | undefined {
  if (record === undefined || ctx.target.capabilities.listMtime || !ctx.source.capabilities.listMtime) return undefined
  // (Not written after the record was taken: the same bytes written again, by another run without
  // the store or another tool, keep the ETag and may carry another mode or mtime, which only a stat
  // then sees: see recordMatches.)
  if (!sideMatches(record, record.target, t, ctx.target) || recordedMtimesDisagree(record, ctx)) return undefined
  const mode = targetMode(record, t, ctx)
  return { ...t, mtimeMs: record.target.mtimeMs, ...(mode !== undefined ? { mode } : {}) }
}

/** The real mtime of an entry whose backend does not list it (S3 keeps it in metadata). */
async function withMtime(backend: Backend, entry: Entry, signal: AbortSignal | undefined): Promise<Entry> {
  if (backend.capabilities.listMtime) return entry
  return (await untilAborted(() => backend.stat(entry.path), signal, 'stat')) ?? entry
}

/**
 * Decides what to do with one pair (rclone's rules, which rsync users also expect):
 * new → copy; gone from the source → delete (mirror only); different size → update (not under
 * `skipNewer` when the target's file is newer; nothing where it exists under `ignoreExisting`);
 * same size and mtime within the window → unchanged; same size, other mtime → compare the common
 * hash: equal → `touch` (set the mtime, no transfer), different → update. `--size-only` looks at
 * sizes alone; `--checksum` compares the hash instead of the mtime. A matching state record
 * (both sides unchanged since the last sync) decides "unchanged" with no I/O at all, except under
 * `--checksum`.
 */
export async function decide(
  pair: EntryPair,
  record: StateRecord | undefined,
  ctx: DecideContext,
  sourceMtimeMs?: number,
): Promise<Decision> {
  const now = decideNow(pair, record, ctx, sourceMtimeMs)
  if (now !== undefined) return now
  // decideNow settles every pair but a file on both sides of the same size whose mtime or content
  // takes I/O to compare.
  return decideWithIo(pair.path, pair.source!, pair.target!, ctx, record)
}

/**
 * `decide` for the pairs that need no I/O (most of them: a listing carries sizes and mtimes), as a
 * plain call: the planner decides a whole window of pairs without a promise per pair. `undefined`
 * when a stat or a hash is needed: then `decide` does the rest.
 */
export function decideNow(
  pair: EntryPair,
  record: StateRecord | undefined,
  ctx: DecideContext,
  sourceMtimeMs?: number,
): Decision | undefined {
  const { source: s, target: t, path } = pair
  const kept = ctx.keptOnTarget
  if (kept?.waiting) kept.pass(entrySortKey((s ?? t) as Entry))
  const inTheWay = ctx.filesInTheWay
  if (inTheWay?.waiting) inTheWay.pass(entrySortKey((s ?? t) as Entry))
  // Neither copied nor updated, and what the target has there is kept (not deleted, not recorded):
  // a directory `d/` too, whose pairs come later (a file `d` and a directory `d/` are two pairs).
  // Held only until the merge is past them: memory stays flat however many files are left out.
  if (
    (s?.kind === 'file' && outOfRange(s, ctx, sourceMtimeMs)) ||
    // --max-age/--min-age hold for a symlink too, by its own mtime, as rclone's do for the links it
    // copies (--links): one made today was copied under --min-age 1d, and a year-old one under
    // --max-age 1d, where the files beside it were left out (QA 27d). The size bounds stay for files
    // alone, as rsync's --max-size.
    (s?.kind === 'symlink' && outOfAgeRange(s.mtimeMs, ctx))
  ) {
    if (t === undefined) kept?.addPassing(path)
    return NONE
  }
  if (s?.kind === 'symlink' && !ctx.target.capabilities.symlinks) {
    // Whatever the target has there (a copy a run under follow made) stays: the link is not synced.
    if (t === undefined) kept?.addPassing(path)
    return { kind: 'action', action: { kind: 'skip', path, source: s, reason: SYMLINK_NOT_STORED } }
  }
  if (s && !t && inTheWay?.covers(path)) {
    // (The target's file sorts before the source's directory of its name and what is below it.)
    if (ctx.ignoreExisting) {
      return {
        kind: 'action',
        action: {
          kind: 'skip',
          path,
          source: s,
          reason: 'the target has another kind of entry there (--ignore-existing keeps it)',
        },
      }
    }
    // What is there by its kind: a symlink was called "a file", where the run says "a symlink" (QA 26h).
    const there = inTheWay.kindOver(path) === 'symlink' ? 'symlink' : 'file'
    throw new SyncError(
      'CONFLICT',
      `a ${there} on the target is in the way of the source's ${s.kind === 'dir' ? 'directory' : s.kind} (at its path or a directory above it); nothing was changed`,
      {
        op: 'plan',
        path,
        hint: 'This mode never deletes: remove or rename what is in the way on the target, or use sync (a mirror replaces it).',
      },
    )
  }
  if (s && !t) {
    // A directory on a target that stores none (S3) is not written: no key of its path, none too
    // long. The files below it are, and each fails on its own (S3 335: the directory was one more
    // failure beside them; rclone names the files only).
    const makesDirs = supports.mkdir(ctx.target) && ctx.target.capabilities.emptyDirs
    if (s.kind === 'dir' && !makesDirs) return NONE
    // Known before any request, and in a dry run too: what the run would fail on, it fails on here.
    const max = ctx.target.capabilities.maxPathBytes
    if (max !== undefined && Buffer.byteLength(path) > max) {
      throw new SyncError(
        'INVALID_PATH',
        `path too long for the target: ${Buffer.byteLength(path)} bytes, at most ${max}`,
        {
          op: 'plan',
          path,
          hint: 'Shorten the name (or its directories), or exclude it.',
        },
      )
    }
    if (s.kind === 'dir') return { kind: 'action', action: { kind: 'mkdir', path, source: s, reason: 'new directory' } }
    return { kind: 'action', action: { kind: 'copy', path, source: s, reason: `new ${s.kind}` } }
  }
  if (!s && t) {
    if (inTheWay !== undefined && t.kind !== 'dir') inTheWay.addPassing(path, t.kind)
    // A source without directories (S3) lists none: there a target directory is gone only when
    // nothing inside it is listed either, which `plan` sees and this one pair does not
    // (holdDirDeletes drops the delete of a directory the source has contents in).
    return ctx.mode === 'mirror' && ctx.keptOnTarget?.covers(path) !== true
      ? { kind: 'action', action: { kind: 'delete', path, target: t, reason: 'not in source' } }
      : NONE
  }
  if (!s || !t) return NONE
  if (s.kind === 'dir' && t.kind === 'dir') {
    // mkdir of a directory that exists sets its mode (as `rsync -a` keeps a directory's permissions),
    // and its mtime with it: said so where that differs too (`chmod+touch`, as a file's; said
    // `chmod` alone, check hid the new mtime).
    if (modeDiffers(ctx, s, t) && supports.mkdir(ctx.target)) {
      const mtimeToo = keepsDirTimes(ctx) && Math.abs(s.mtimeMs - t.mtimeMs) > ctx.modifyWindowMs
      const reason = mtimeToo ? MODE_AND_MTIME_DIFFER : MODE_DIFFERS
      return { kind: 'action', action: { kind: 'mkdir', path, source: s, target: t, reason } }
    }
    // rsync -a sets every directory's mtime: one a run that was killed wrote into (its times are
    // set back only at a run's end), or `touch`ed in the source, is carried over too.
    return keepsDirTimes(ctx) && Math.abs(s.mtimeMs - t.mtimeMs) > ctx.modifyWindowMs
      ? { kind: 'action', action: { kind: 'touch', path, source: s, target: t, reason: 'mtime differs' } }
      : NONE
  }
  // (Counted apart when the listings do not say it is equal: it was not compared, and "unchanged"
  // told of files that differ, QA 27d. No I/O is spent to tell: the flag is there to spare it.)
  if (ctx.ignoreExisting) return sameByListing(ctx, s, t) ? unchanged(s, t) : leftExisting(s, t)
  if (s.kind !== t.kind) return update(path, s, t, `${t.kind} replaced by ${s.kind}`)
  // (Before any record, size or hash: a special file is never the source's file.)
  if (t.special) return update(path, s, t, 'a special file (FIFO, socket or device) on the target')
  if (s.kind === 'symlink') {
    if (s.linkTarget !== t.linkTarget) return update(path, s, t, 'link target differs')
    // A link whose own mtime alone differs (made again, `ln -sfn`, to the same target) gets it, as
    // rsync -a does (`.L..t...... link`): it was unchanged for ever, and check said "In sync",
    // though its mtime is kept (README) and set when the link is made (QA 31c).
    return linkTimeDiffers(ctx, s, t) ? touch(ctx, path, s, s, t, 'mtime differs') : unchanged(s, t)
  }
  // A record says both sides are as the last run left them; that run may have compared size and
  // mtime alone, while --checksum asks for the content itself (as rsync -c and rclone --checksum).
  if (record && ctx.compare !== 'checksum' && recordMatches(record, s, t, ctx)) {
    // A target that lists no modes (S3) still has the one the last run gave it (QA 15 #7: a chmod
    // was never carried to S3).
    return unchangedUnlessMode(ctx, path, s, t, targetMode(record, t, ctx))
  }
  if (ctx.skipNewer && !t.special) {
    // The real mtimes first, where a listing lacks them (S3's are upload times): see decideWithIo.
    if (!ctx.source.capabilities.listMtime || !ctx.target.capabilities.listMtime) return undefined
    // (Not "unchanged": its mtime, and likely its content, differ. QA 27d.)
    if (t.mtimeMs - s.mtimeMs > ctx.modifyWindowMs) return leftNewer(s, t)
  }
  if (s.size !== t.size) return update(path, s, t, 'size differs')
  if (ctx.compare === 'size-only') return unchangedUnlessMode(ctx, path, s, t, targetMode(record, t, ctx))
  // The rest needs real mtimes (a stat where the listing lacks them) or a hash: decideWithIo.
  if (!ctx.source.capabilities.listMtime || !ctx.target.capabilities.listMtime) return undefined
  if (ctx.compare === 'checksum' && ctx.hashAlgo !== undefined) return undefined
  if (Math.abs(s.mtimeMs - t.mtimeMs) <= ctx.modifyWindowMs) return unchangedUnlessMode(ctx, path, s, t)
  if (s.size === 0) return touch(ctx, path, s, s, t, 'empty file, mtime differs')
  if (ctx.hashAlgo === undefined) return update(path, s, t, 'mtime differs')
  // Not hashed on both sides first when the delta transfer compares the content itself (an
  // unchanged file then only gets its mtime): see deltaComparesContent.
  return deltaComparesContent(ctx.source, ctx.target, s, t, ctx.hashAlgo)
    ? update(path, s, t, 'mtime differs')
    : undefined
}

/**
 * True when `--max-size`/`--min-size` or `--max-age`/`--min-age` leave the source file `s` out.
 * `mtimeMs` is the file's real mtime where its listing has none (S3's is the upload time: see
 * `agesNeedStat`); the listed one otherwise.
 */
function outOfRange(s: Entry, ctx: DecideContext, mtimeMs = s.mtimeMs): boolean {
  return (
    (ctx.maxSize !== undefined && s.size > ctx.maxSize) ||
    (ctx.minSize !== undefined && s.size < ctx.minSize) ||
    outOfAgeRange(mtimeMs, ctx)
  )
}

/** True when `--max-age`/`--min-age` leave out an entry modified at `mtimeMs`. */
function outOfAgeRange(mtimeMs: number, ctx: DecideContext): boolean {
  return (
    (ctx.modifiedAfterMs !== undefined && mtimeMs < ctx.modifiedAfterMs) ||
    (ctx.modifiedBeforeMs !== undefined && mtimeMs > ctx.modifiedBeforeMs)
  )
}

/**
 * True when `--max-age`/`--min-age` need the real mtime of the source file `s`, which its listing
 * lacks (S3 lists the upload time): a file uploaded today but modified a year ago was restored
 * under `--max-age 1d`, and left out under `--min-age 1d`, as rclone (which reads the stored mtime)
 * would not. Not where the size alone leaves it out already.
 */
export function agesNeedStat(s: Entry | undefined, ctx: DecideContext): boolean {
  return (
    s?.kind === 'file' &&
    !ctx.source.capabilities.listMtime &&
    (ctx.modifiedAfterMs !== undefined || ctx.modifiedBeforeMs !== undefined) &&
    !(ctx.maxSize !== undefined && s.size > ctx.maxSize) &&
    !(ctx.minSize !== undefined && s.size < ctx.minSize)
  )
}

/** The real mtime of the source file `s` for `--max-age`/`--min-age` (see `agesNeedStat`). */
export async function sourceMtimeForAges(s: Entry, ctx: DecideContext): Promise<number> {
  return (await withMtime(ctx.source, s, ctx.signal)).mtimeMs
}

/** The part of `decide` that stats (mtimes the listing lacks) or hashes: same size on both sides. */
async function decideWithIo(
  path: RelPath,
  s: Entry,
  t: Entry,
  ctx: DecideContext,
  record: StateRecord | undefined,
): Promise<Decision> {
  const [sm, tm] = await Promise.all([
    withMtime(ctx.source, s, ctx.signal),
    recordedTarget(record, t, ctx) ?? withMtime(ctx.target, t, ctx.signal),
  ])
  const mtimeEqual = Math.abs(sm.mtimeMs - tm.mtimeMs) <= ctx.modifyWindowMs
  // A touch's target carries the mode the stat (or the record) gave, which the listing lacks (S3):
  // the touch then sets a mode that differs too, in the same run, as rsync -a; with the listing's
  // entry it set the mtime alone and the chmod waited for the next run (QA 25b #8).
  const tt = t.mode === undefined && tm.mode !== undefined ? { ...t, mode: tm.mode } : t
  // A target that keeps modes but stores none for this file, as its stat (or the record) says: an
  // S3 object another tool wrote (no x-amz-meta-mode). Unknown for a listing, known missing here:
  // the source's mode is set on it (a chmod touch whose target has no mode; with its mtime, where
  // that differs too). Left so, a 0600 file was restored 0644 and `check` called it in sync (QA 25b #7).
  const modeMissing =
    s.kind === 'file' &&
    sm.mode !== undefined &&
    tm.mode === undefined &&
    !ctx.target.capabilities.listMtime &&
    ctx.source.capabilities.permissions &&
    ctx.target.capabilities.permissions &&
    supports.setMode(ctx.target) &&
    supports.setMtime(ctx.target)
  const setMissingMode: Decision = {
    kind: 'action',
    // (Said `chmod+touch` where the mtime differs too, which the touch sets as well: QA 26h.)
    action: { kind: 'touch', path, source: sm, target: t, reason: mtimeEqual ? MODE_DIFFERS : MODE_AND_MTIME_DIFFER },
  }
  if (ctx.skipNewer) {
    // (Reached with sizes that differ only under skipNewer: decideNow needs the real mtimes first.)
    if (tm.mtimeMs - sm.mtimeMs > ctx.modifyWindowMs) return leftNewer(sm, tm)
    if (s.size !== t.size) return update(path, s, t, 'size differs')
    // (--size-only still decides the rest: review 23 F6.)
    if (ctx.compare === 'size-only') return unchangedUnlessMode(ctx, path, sm, tm)
  }

  if (ctx.compare === 'checksum' && ctx.hashAlgo !== undefined) {
    const same = await sameContent(ctx, s, t)
    if (same === false) return update(path, s, t, `${ctx.hashAlgo} differs`)
    if (same === true) {
      if (modeMissing) return setMissingMode
      return mtimeEqual
        ? unchangedUnlessMode(ctx, path, sm, tm)
        : touch(ctx, path, s, sm, tt, 'content equal, mtime differs')
    }
    ctx.notice('NO_COMMON_HASH', `no ${ctx.hashAlgo} for ${path}: compared size and mtime instead`)
  }
  // The stats give the modes a listing may lack (S3 keeps one in metadata), and the record keeps
  // them: a chmod is carried from S3 too (QA 16 F2).
  if (mtimeEqual) return modeMissing ? setMissingMode : unchangedUnlessMode(ctx, path, sm, tm)
  if (s.size === 0) return modeMissing ? setMissingMode : touch(ctx, path, s, sm, tt, 'empty file, mtime differs')
  const same = await sameContent(ctx, s, t, true)
  if (same === true) return modeMissing ? setMissingMode : touch(ctx, path, s, sm, tt, 'content equal, mtime differs')
  return update(path, s, t, same === false ? 'content differs' : 'mtime differs')
}

/**
 * True when a symlink's own mtime differs beyond the window and both sides list it, on a target that
 * stores links and sets mtimes (not under --size-only, nor for a newer one under --update).
 */
function linkTimeDiffers(ctx: DecideContext, s: Entry, t: Entry): boolean {
  const { source, target } = ctx
  if (ctx.compare === 'size-only' || !source.capabilities.listMtime || !target.capabilities.listMtime) return false
  if (!target.capabilities.symlinks || !supports.setMtime(target)) return false
  if (ctx.skipNewer && t.mtimeMs - s.mtimeMs > ctx.modifyWindowMs) return false
  return Math.abs(s.mtimeMs - t.mtimeMs) > ctx.modifyWindowMs
}

/**
 * Directory mtimes are kept where both sides have real, listed directories and the target sets mtimes (as DirectoryTimes),
 * and compared unless under `--size-only` (as a file's and a symlink's are not: `check --size-only` exited 1 for trees
 * whose files all had equal sizes, over their directories' mtimes).
 */
function keepsDirTimes(ctx: DecideContext): boolean {
  const { source, target } = ctx
  return (
    ctx.compare !== 'size-only' &&
    source.capabilities.emptyDirs &&
    target.capabilities.emptyDirs &&
    source.capabilities.listMtime &&
    target.capabilities.listMtime &&
    supports.mkdir(target) &&
    supports.setMtime(target)
  )
}

/**
 * True when both sides keep permissions, both entries carry them (`tMode`: the target's, where known
 * apart), and they differ; not when a target that clears set-id bits (`Capabilities.clearsSetId`)
 * lacks only those of a file (rewritten, it would lack them again: a rewrite on every run).
 */
function modeDiffers(ctx: DecideContext, s: Entry, t: Entry, tMode = t.mode): boolean {
  return modeToSet(ctx.source, ctx.target, s, tMode) !== undefined
}

/**
 * The permission bits to give the target of `s` (whose mode is `tMode`) when they differ and both
 * sides keep permissions, else undefined; not when a target that clears set-id bits
 * (`Capabilities.clearsSetId`) lacks only those of a file (rewritten, it would lack them again: a
 * rewrite on every run; set in place, a file of root's could become set-id).
 */
export function modeToSet(source: Backend, target: Backend, s: Entry, tMode: number | undefined): number | undefined {
  if (s.mode === undefined || tMode === undefined) return undefined
  if (!source.capabilities.permissions || !target.capabilities.permissions) return undefined
  const want = s.mode & 0o7777
  const has = tMode & 0o7777
  if (want === has) return undefined
  // Only the bits both sides can show are compared (`Capabilities.modeBits`): an S3 source reads
  // modes back without setuid, setgid and sticky bits, so a restore from it onto the tree it was
  // made from chmodded every set-id program there (sudo-like helpers lost their bit), and a local
  // sticky file was stored again on every upload (QA 29d #6, QA 31c).
  const shown = (source.capabilities.modeBits ?? 0o7777) & (target.capabilities.modeBits ?? 0o7777)
  if (((want ^ has) & shown) === 0) return undefined
  if (target.capabilities.clearsSetId === true && s.kind === 'file') {
    const safe = want & ~0o6000
    return has === safe ? undefined : safe
  }
  return want
}

/**
 * `unchanged`, unless only the permissions differ (a `chmod`, which `rsync -a` carries over): then
 * a `touch` that sets the mode in place, on a target that can (`ModeSettable`: no transfer, the
 * same inode, as rsync's `.f...p`); elsewhere the file is written again with its mode, which every
 * backend keeping permissions applies on write (the conformance suite checks it).
 */
function unchangedUnlessMode(ctx: DecideContext, path: RelPath, s: Entry, t: Entry, tMode = t.mode): Decision {
  const mode = modeToSet(ctx.source, ctx.target, s, tMode)
  if (mode === undefined) return unchanged(s, t)
  // (The target with the mode compared, where it is not the listing's: S3's, from the record or a stat.)
  const target = t.mode === tMode || tMode === undefined ? t : { ...t, mode: tMode }
  return s.kind === 'file' && inPlace(s, mode) && supports.setMode(ctx.target) && supports.setMtime(ctx.target)
    ? { kind: 'action', action: { kind: 'touch', path, source: s, target, reason: MODE_DIFFERS } }
    : update(path, s, t, MODE_DIFFERS)
}

/**
 * Whether `mode` (what `modeToSet` gives) is the source file's whole mode, so that a chmod in place
 * carries it over. Not when a target clearing set-id bits (root's) would lose the source's setuid
 * or setgid: a rewrite keeps them under the source's owner (a local source, as `rsync -a` as root
 * does) or drops them alike; set in place without them, the file stayed so for ever, since a
 * target lacking only those bits is not told apart (`modeToSet`).
 */
export function inPlace(s: Entry, mode: number): boolean {
  return s.mode === undefined || (s.mode & 0o7777) === mode
}

/**
 * True when the listings alone show `t` is what a run would make of `s` (same kind, link target or
 * size, mtime within the window, mode), so that a pair `--ignore-existing` leaves alone is
 * unchanged indeed; false where they cannot tell (no listed mtimes: S3).
 */
function sameByListing(ctx: DecideContext, s: Entry, t: Entry): boolean {
  if (s.kind !== t.kind || t.special) return false
  if (s.kind === 'symlink') return s.linkTarget === t.linkTarget
  if (s.size !== t.size || modeDiffers(ctx, s, t)) return false
  // (--size-only would find it unchanged whatever its mtime.)
  if (ctx.compare === 'size-only') return true
  if (!ctx.source.capabilities.listMtime || !ctx.target.capabilities.listMtime) return false
  return Math.abs(s.mtimeMs - t.mtimeMs) <= ctx.modifyWindowMs
}

/** A pair `--ignore-existing` leaves alone whose listings do not show it equal (see `sameByListing`). */
function leftExisting(source: Entry, target: Entry): Decision {
  return { kind: 'unchanged', source, target, leftExisting: true }
}

/** A pair `--update` leaves alone, its target file newer than the source's. */
function leftNewer(source: Entry, target: Entry): Decision {
  return { kind: 'unchanged', source, target, leftNewer: true }
}

function unchanged(source: Entry, target: Entry): Decision {
  return { kind: 'unchanged', source, target }
}

function update(path: RelPath, source: Entry, target: Entry, reason: string): Decision {
  return { kind: 'action', action: { kind: 'update', path, source, target, reason } }
}

/**
 * Sets the target's mtime to the source's (`real` carries it where the listing did not), or leaves
 * the pair as it is where the target cannot set mtimes (recorded with the entries as listed).
 */
function touch(ctx: DecideContext, path: RelPath, listed: Entry, real: Entry, target: Entry, reason: string): Decision {
  // A file whose mode differs too gets it in the same touch (see execute-action): said so, as
  // `chmod+touch`, not as an "mtime only" touch (QA 26h).
  const why =
    real.kind === 'file' &&
    supports.setMode(ctx.target) &&
    modeToSet(ctx.source, ctx.target, real, target.mode) !== undefined
      ? MODE_AND_MTIME_DIFFER
      : reason
  return supports.setMtime(ctx.target)
    ? { kind: 'action', action: { kind: 'touch', path, source: real, target, reason: why } }
    : { kind: 'unchanged', source: listed, target }
}
