import { defaultMaxListeners, setMaxListeners } from 'node:events'
import {
  bufferCount,
  catchError,
  concat,
  concatMap,
  defer,
  EMPTY,
  from,
  lastValueFrom,
  merge,
  mergeMap,
  type Observable,
  of,
  Subject,
  tap,
} from 'rxjs'
import { type Backend, supports } from '../backend/backend.js'
import { deltaHook } from '../engine/delta-hook.js'
import { SummaryBuilder } from '../engine/summary-builder.js'
import type { MaxDelete } from '../engine/sync-options.js'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Action } from '../model/action.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { NoticeCode, SyncEvent } from '../model/sync-event.js'
import { backUp } from '../operators/back-up.js'
import { commonHash, fingerprintOf, hashOf } from '../operators/decide.js'
import { diff, type EntryPair } from '../operators/diff.js'
import { guardDeletes, listingErrorHoldsDeletes } from '../operators/guard-deletes.js'
import { listedEntryCheck, openListing } from '../operators/list-side.js'
import { excludeIfPresentProblem, markerRun } from '../operators/marker-run.js'
import { RENAME_MIN_BYTES, renameHash } from '../operators/track-renames.js'
import { transfer } from '../operators/transfer.js'
import type { StateRecord, StateStore } from '../state/state-store.js'
import { addAncestorDirs } from '../util/add-ancestor-dirs.js'
import { Backlog } from '../util/backlog.js'
import { laneConcurrency } from '../util/lane-concurrency.js'
import { linkedAbort } from '../util/linked-abort.js'
import { openFilesCap, openFilesLimit } from '../util/open-files-cap.js'
import { RateLimiter } from '../util/rate-limiter.js'
import { type BisyncSide, conflictName, conflictOrigin } from './conflict-name.js'
import { type BisyncDecision, type ConflictPolicy, decideBisync, sideChange } from './decide-bisync.js'
import { pairLaneRenames } from './pair-lane-renames.js'
import { RecordGaps } from './record-gaps.js'
import { sameContent } from './same-content.js'

/** Options of `bisync`. Defaults in brackets. */
export interface BisyncOptions {
  /** The job's records: what two-way sync decides from (a path with none is never deleted). */
  readonly state: StateStore
  /** [keep-both] */
  readonly conflict?: ConflictPolicy
  /**
   * How two present versions are told apart: `size-only` ignores mtimes; `checksum` compares
   * their bytes by a hash both sides offer (a file touched on one side, or changed alike on both,
   * then only gets the mtime carried: a touch), and falls back to size and mtime, with a notice,
   * where they share none. Whether a side changed since the last run is still told by its record
   * (size, mtime, version): a rewrite that keeps all three is not seen, as without it. [size-mtime]
   */
  readonly compare?: 'size-mtime' | 'size-only' | 'checksum'
  /** Mtimes closer than this are equal. [the coarser `mtimePrecisionMs` of the two sides] */
  readonly modifyWindowMs?: number
  /** Plan and report, write nothing (records included). [false] */
  readonly dryRun?: boolean
  readonly filter?: PathFilter
  /**
   * `--exclude-if-present`: marker file names. A directory holding one on EITHER side is excluded on
   * both, with all below it (each copy left as it is). Both sides must have
   * `capabilities.excludeIfPresent`. [none]
   */
  readonly excludeIfPresent?: readonly string[]
  /**
   * Deletes on either side beyond this are all held back (rclone bisync's `--max-delete`, whose
   * default this is: a side emptied by accident must not empty the other). [50%]
   */
  readonly maxDelete?: MaxDelete
  /** Let a side with no files left delete every file of the other. [false] */
  readonly allowEmptySource?: boolean
  /** Actions at once, per direction. [8] */
  readonly concurrency?: number
  /**
   * false (`--no-check-updated`): a file that changes while it is copied (a log being written) is
   * copied as it is, up to its listed size, instead of failing (see `SyncOptions.checkUpdated`). [true]
   */
  readonly checkUpdated?: boolean
  /**
   * A file renamed or moved on one side is renamed on the other (a server-side copy on S3), not
   * sent again and its old name deleted: a file new on one side is paired with a file the run
   * deletes on the other when both hold the same bytes (same size and hash, files of 64 KiB or
   * more; see `pairLaneRenames`). Nothing is paired after a listing error or a failed decision.
   * [true unless both sides would have to read their files to hash them (two local directories),
   * where proving two files equal costs about what copying one does]
   */
  readonly trackRenames?: boolean
  /** Total transfer rate of both directions in bytes/s (`--bwlimit`), as one-way sync's; 0 = unlimited. [0] */
  readonly bwlimit?: number
  /** Block size of delta transfers to or from a `syncflow serve` (0 = from the file's length). [0] */
  readonly blockSize?: number
  readonly signal?: AbortSignal
  /** The clock that names conflict copies. [now] */
  readonly now?: () => Date
}

/** The actions of one direction: everything it writes to one side. */
interface Lane {
  /** Written to this side. */
  readonly to: BisyncSide
  readonly copies: Action[]
  readonly deletes: Action[]
  /** Copies in the way of one of this lane's deletes (a file where a directory goes): run with them. */
  readonly afterDeletes: Action[]
}

/** Records written per `setMany`. */
const RECORD_BATCH = 500
/** Pairs decided per window (one `getMany` each). */
const WINDOW = 256
/** The state's meta key of the time the last two-way run ended (a missing side is then not a first run's). */
const LAST_RUN = 'bisync.lastRun'
/** Excluded names a kept directory's reason gives (the rest are counted). */
const EXCLUDED_NAMED = 2
/** Stats at once where a listing lacks stored mtimes (S3: one HEAD each). */
const STATS_AT_ONCE = 16

const otherSide = (s: BisyncSide): BisyncSide => (s === 'a' ? 'b' : 'a')

/** True when `b` keeps a directory of its own, empty or not (a local one; not S3, whose are implied by keys). */
const holdsDirs = (b: Backend): boolean => supports.mkdir(b) && b.capabilities.emptyDirs

/**
 * Two-way sync of `a` and `b` from the records of the last run (DESIGN §5): both sides are listed
 * in one merge-join, each path decided by `decideBisync`, and the decisions run in two directions
 * at once. Writes are those of one-way sync (atomic, against the entry planned: a file changed
 * meanwhile is not replaced); deletes run last, on both sides, and none after any failure on
 * either side, any listing error, beyond `maxDelete`, or from a side with no files left; a
 * conflict kept both ways keeps the loser's version beside the winner under `conflictName`
 * (a hard link or server-side copy on its own side, a copy on the other) before the loser is
 * replaced. Every action's `to` says the side it writes. Emits SyncEvents ending with `done`
 * (summary mode `bisync`), fatal problems in `done.summary.fatal`.
 *
 * The changes are held in memory while the sides are listed (the unchanged paths are not): a run
 * over millions of changed paths needs memory for each.
 */
export function bisync(a: Backend, b: Backend, options: BisyncOptions): Observable<SyncEvent> {
  return defer(() => {
    const dryRun = options.dryRun ?? false
    const link = linkedAbort(options.signal)
    const abort = link.controller
    const signal = link.signal
    const summary = new SummaryBuilder('bisync', dryRun)
    const side$ = new Subject<SyncEvent>()
    const backends = { a, b }
    const files = { a: 0, b: 0 }
    let listingErrors = 0
    let failures = 0
    const notice = (code: NoticeCode, message: string, path?: string): void =>
      side$.next({ type: 'notice', ts: Date.now(), code, message, ...(path !== undefined ? { path } : {}) })
    // --exclude-if-present: the filter then also excludes the directories either listing finds marked.
    const marker = markerRun(options.excludeIfPresent, options.filter, {
      deleteExcluded: false,
      onRoot: (side) =>
        notice(
          'ROOT_EXCLUDED',
          `${side === 'source' ? 'A' : 'B'}'s root holds an --exclude-if-present marker (${options.excludeIfPresent?.join(', ')}): everything is excluded, so nothing is synced and nothing deleted`,
        ),
    })
    const runFilter = marker?.filter ?? options.filter
    const listOpts = (s: BisyncSide) => ({
      onError: (err: SyncError) => {
        if (listingErrorHoldsDeletes(err)) listingErrors++
        side$.next({
          type: 'failed',
          ts: Date.now(),
          path: err.path ?? '',
          error: err.toJSON(),
          stage: 'list',
          side: s === 'a' ? 'source' : 'target',
        })
      },
      onNotice: (n: { code: NoticeCode; message: string; path?: string }) => notice(n.code, n.message, n.path),
      signal,
      ...(runFilter ? { filter: runFilter } : {}),
      ...(marker ? marker.listing(s === 'a' ? 'source' : 'target') : {}),
      // Both sides are written: each may lose a killed run's temp files.
      ...(dryRun ? {} : { cleanUp: true }),
    })
    const decideOpts = {
      conflict: options.conflict ?? 'keep-both',
      modifyWindowMs:
        options.modifyWindowMs ?? Math.max(a.capabilities.mtimePrecisionMs, b.capabilities.mtimePrecisionMs),
      ...(options.compare === 'size-only' ? { sizeOnly: true } : {}),
      writeTimes: { a: !a.capabilities.listMtime, b: !b.capabilities.listMtime },
    }
    /** The hash `--checksum` compares by: one both sides offer (B's preference first), if any. */
    const hashAlgo = options.compare === 'checksum' ? commonHash(a, b) : undefined
    /** The hash renames are paired by (see `trackRenames`); undefined: none are. */
    const renameAlgo =
      (options.trackRenames ?? !(a.capabilities.hashReadsContent && b.capabilities.hashReadsContent))
        ? renameHash(a, b)
        : undefined
    /** New files that may turn out to be renames: planned once the listings are in and pairs made. */
    const mayBeRenames: Action[] = []
    const at = (options.now ?? (() => new Date()))()
    const lanes: Record<BisyncSide, Lane> = {
      a: { to: 'a', copies: [], deletes: [], afterDeletes: [] },
      b: { to: 'b', copies: [], deletes: [], afterDeletes: [] },
    }
    /** Conflicts kept both ways: the loser's version is kept under its conflict name first. */
    const keeps: { path: RelPath; loser: BisyncSide; winner: Entry; lost: Entry }[] = []
    /**
     * The conflict copies each side lists, by the path they were kept for: a run stopped after
     * keeping one (a hard link) left it, and the next run reuses it rather than keep the same
     * version again (a second hard link changed the first's ctime: its copy across failed).
     */
    const listedCopies: Record<BisyncSide, Map<string, Entry[]>> = { a: new Map(), b: new Map() }
    const noteCopy = (s: BisyncSide, e: Entry | undefined): void => {
      if (e?.kind !== 'file') return
      const origin = conflictOrigin(e.path)
      if (origin === undefined || origin.side !== s) return
      const list = listedCopies[s].get(origin.path) ?? []
      list.push(e)
      listedCopies[s].set(origin.path, list)
    }
    /** The conflict copies made: recorded at the end, as they are then (see `recordConflictCopies`). */
    const conflictCopies: RelPath[] = []
    /** Renamed files whose mtime could not be carried: recorded at the end, as they are then (see `recordDone`). */
    const movedAsIs: RelPath[] = []
    /**
     * Record writes not made yet, in the order the run decided them (undefined: the record goes). A
     * path's last one is the one written: a file's record forgotten and its directory's set (a kind
     * change), or a record forgotten at planning and set once copied, came out the other way round
     * when every set of a batch was written before its deletes.
     */
    let pending: [RelPath, StateRecord | undefined][] = []
    const setRecord = (path: RelPath, record: StateRecord): void => {
      if (!dryRun) pending.push([path, record])
    }
    const forgetRecord = (path: RelPath): void => {
      if (!dryRun) pending.push([path, undefined])
    }
    const flush = async (force = false): Promise<void> => {
      if (dryRun) return
      if (!force && pending.length < RECORD_BATCH) return
      const last = new Map(pending)
      pending = []
      const sets: [RelPath, StateRecord][] = []
      const deletes: RelPath[] = []
      for (const [path, record] of last) {
        if (record === undefined) deletes.push(path)
        else sets.push([path, record])
      }
      if (sets.length > 0) await options.state.setMany(sets)
      if (deletes.length > 0) await options.state.deleteMany(deletes)
    }
    const recordOf = (ea: Entry, eb: Entry): StateRecord => ({
      source: fingerprintOf(ea),
      target: fingerprintOf(eb),
      syncedAt: Date.now(),
    })
    const planned = (action: Action): void => {
      summary.add({ type: 'planned', ts: Date.now(), action })
      side$.next({ type: 'planned', ts: Date.now(), action })
    }

    /**
     * Directories to delete per side, until something below one turns out to stay there (a file
     * new on that side, inside a directory the other side deleted): that directory then stays,
     * and is made on the other side by the copy of what it holds. Listings put a directory before
     * its contents, so its delete is known when they come.
     */
    const dirDeletes: Record<BisyncSide, Set<string>> = { a: new Set(), b: new Set() }
    /**
     * Per side, the directories that hold what the filters exclude (its first names, and how many):
     * a two-way run neither syncs nor deletes those, so such a directory deleted on the other side
     * stays, said so (its delete failed as "not empty", said to hold files added since the listing).
     * One key per directory above an excluded entry (an excluded directory is not entered).
     */
    const excludedIn: Record<BisyncSide, Map<string, { names: string[]; count: number }>> = {
      a: new Map(),
      b: new Map(),
    }
    /** The last path whose record was forgotten (each side says an excluded path: forgotten once). */
    let forgotten: string | undefined
    const noteExcluded = (s: BisyncSide, path: string): void => {
      // Its record goes: included again, it and what it holds are compared as new (see RecordGaps).
      if (forgotten !== path) forgetRecord(path as RelPath)
      forgotten = path
      for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
        const dir = path.slice(0, slash)
        const held = excludedIn[s].get(dir) ?? { names: [], count: 0 }
        if (held.names.length < EXCLUDED_NAMED) held.names.push(path)
        held.count++
        excludedIn[s].set(dir, held)
      }
    }
    /**
     * Records from before an exclusion, not trusted (see RecordGaps). Only where both sides keep
     * directories: one that cannot (S3) leaves a directory only one side lists unrecorded, and what
     * it holds is then no less known.
     */
    const gaps = holdsDirs(a) && holdsDirs(b) ? new RecordGaps() : undefined
    const keptDirs: Record<BisyncSide, Set<string>> = { a: new Set(), b: new Set() }
    const staysBelow = (s: BisyncSide, path: string): void => {
      if (dirDeletes[s].size === 0) return
      for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
        const dir = path.slice(0, slash)
        if (dirDeletes[s].has(dir)) keptDirs[s].add(dir)
      }
    }

    /**
     * Per side, the mkdirs of directories the filter walks only to find what it takes below them
     * (`PathFilter.walkedOnly`: `--include '*.c'`, `--filter '+ *.c'`): held until something inside
     * one crosses to that side, as a one-way sync holds them (`deferWalkedDirs`), so that no empty
     * directory is made on the other side (review of --filter). Listings put a directory first.
     */
    const heldDirs: Record<BisyncSide, Map<string, Action>> = { a: new Map(), b: new Map() }
    /** Plans the held mkdirs above `path` on side `to`, the topmost first: something crosses below them. */
    const releaseAbove = (to: BisyncSide, path: RelPath): void => {
      const held = heldDirs[to]
      if (held.size === 0) return
      for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
        const mkdir = held.get(path.slice(0, i))
        if (mkdir === undefined) continue
        held.delete(mkdir.path)
        lanes[to].copies.push(mkdir)
        planned(mkdir)
      }
    }
    /** Turns one decision into the actions of the lanes (and the records it needs now). */
    const place = (path: RelPath, ea: Entry | undefined, eb: Entry | undefined, d: BisyncDecision): void => {
      const entries = { a: ea, b: eb }
      if (ea && !(d.kind === 'delete' && d.on === 'a')) staysBelow('a', path)
      if (eb && !(d.kind === 'delete' && d.on === 'b')) staysBelow('b', path)
      switch (d.kind) {
        case 'in-sync':
          if (d.record && ea && eb) setRecord(path, recordOf(ea, eb))
          if (ea?.kind !== 'dir') summary.unchanged++
          return
        case 'forget':
          forgetRecord(path)
          return
        case 'copy': {
          const to = otherSide(d.from)
          const source = entries[d.from]!
          const target = entries[to]
          if (d.touch && target) {
            // The same bytes on both sides: the mtime (and mode) crosses where the side can take it;
            // elsewhere the two are recorded as in sync, as one-way sync leaves such a pair.
            if (!supports.setMtime(backends[to])) {
              if (ea && eb) setRecord(path, recordOf(ea, eb))
              summary.unchanged++
              return
            }
            const touch: Action = { kind: 'touch', path, source, target, reason: d.reason, to }
            releaseAbove(to, path)
            lanes[to].copies.push(touch)
            planned(touch)
            return
          }
          const kind = source.kind === 'dir' ? 'mkdir' : target ? 'update' : 'copy'
          const action: Action = { kind, path, source, ...(target ? { target } : {}), reason: d.reason, to }
          if (kind === 'mkdir' && target === undefined && options.filter?.walkedOnly?.(path)) {
            heldDirs[to].set(path, action)
            return
          }
          releaseAbove(to, path)
          lanes[to].copies.push(action)
          if (
            renameAlgo !== undefined &&
            kind === 'copy' &&
            source.kind === 'file' &&
            source.size >= RENAME_MIN_BYTES
          ) {
            mayBeRenames.push(action)
          } else {
            planned(action)
          }
          return
        }
        case 'delete': {
          const target = entries[d.on]!
          const action: Action = { kind: 'delete', path, target, reason: d.reason, to: d.on }
          lanes[d.on].deletes.push(action)
          if (target.kind === 'dir') dirDeletes[d.on].add(path)
          return
        }
        case 'conflict': {
          const loser = otherSide(d.winner)
          const winner = entries[d.winner]!
          const lost = entries[loser]!
          if (d.keepLoser) {
            if (winner.kind === 'dir' || lost.kind === 'dir') {
              // (A directory and a file of one name come as two pairs from the listings: this is a
              // record's path that both sides changed to different kinds. Left for the user.)
              failures++
              side$.next({
                type: 'failed',
                ts: Date.now(),
                path,
                error: new SyncError('CONFLICT', `${path} is a directory on one side and not on the other`, {
                  op: 'bisync',
                  path,
                  hint: 'Rename or remove one of the two, then run again.',
                }).toJSON(),
                stage: 'plan',
              })
              return
            }
            keeps.push({ path, loser, winner, lost })
          }
          if (!d.keepLoser) {
            const action: Action = { kind: 'update', path, source: winner, target: lost, reason: d.reason, to: loser }
            releaseAbove(loser, path)
            lanes[loser].copies.push(action)
            planned(action)
          }
          return
        }
      }
    }

    /** True for the delete of a directory that holds excluded entries on its side: said skipped, and why. */
    const heldByExcluded = (s: BisyncSide, del: Action): boolean => {
      const held = del.target?.kind === 'dir' ? excludedIn[s].get(del.path) : undefined
      if (held === undefined) return false
      const more = held.count > held.names.length ? `, and ${held.count - held.names.length} more` : ''
      side$.next({
        type: 'skipped',
        ts: Date.now(),
        path: del.path,
        reason: `kept on ${s.toUpperCase()}: it holds what the filters exclude (${held.names.join(', ')}${more}), which two-way sync leaves as it is`,
        action: del,
      })
      return true
    }

    /** The side whose root did not exist when the run began, taken as empty (a first run, or `takenEmpty` below). */
    let missingSide: 'a' | 'b' | undefined
    /** That side when taken as empty with consent on a later run: not "gone" before the deletes. */
    let emptyByConsent: 'a' | 'b' | undefined
    /**
     * Per side, its directories that the other side, which holds no directories (S3), does not imply
     * by a key below them (and whether they were recorded): left as they are, unless a file of that
     * name comes from the other side (see clearDirsInTheWay).
     */
    const loneDirs: Record<BisyncSide, Map<string, { entry: Entry; recorded: boolean }>> = {
      a: new Map(),
      b: new Map(),
    }
    const plan$ = defer(async () => {
      // A root that is not there is an empty side on a first run (an S3 prefix exists only once it
      // holds a key); once a run has synced them, it is a side gone (unmounted, a wrong path), and
      // taken as empty it would delete every file of the other.
      if (options.compare === 'checksum' && hashAlgo === undefined) {
        notice('NO_COMMON_HASH', `A (${a.uri}) and B (${b.uri}) share no hash: --checksum falls back to size and mtime`)
      }
      const markerProblem = excludeIfPresentProblem(options.excludeIfPresent, [a, b])
      if (markerProblem !== undefined) throw new SyncError('USAGE', markerProblem, { op: 'bisync' })
      const missing = (await Promise.all([a.rootExists(), b.rootExists()])).flatMap((ok, i) => (ok ? [] : [i]))
      const lastRun = missing.length > 0 ? await options.state.getMeta<number>(LAST_RUN) : undefined
      // A side that cannot exist empty (an S3 prefix whose last key was deleted) is an empty one when
      // the user says so (--allow-empty-source): else emptying a prefix on purpose could never be
      // carried. A directory gone is never taken as empty (an unmounted disk looks the same).
      const takenEmpty = missing.length === 1 && options.allowEmptySource === true && !holdsDirs([a, b][missing[0]!]!)
      if (missing.length === 1) missingSide = missing[0] === 0 ? 'a' : 'b'
      // (On a first run the side is empty without consent, and the run deletes nothing.)
      if (takenEmpty && lastRun !== undefined) emptyByConsent = missingSide
      if (missing.length === 2 || (missing.length === 1 && lastRun !== undefined && !takenEmpty)) {
        const gone = [a, b][missing[0]!]!
        throw new SyncError('NOT_FOUND', `${gone.uri} does not exist`, {
          path: gone.uri,
          hint:
            missing.length === 2
              ? 'Check the paths: two-way sync needs at least one side that exists.'
              : `Check the path: it was synced by the run of ${new Date(lastRun!).toISOString()}, and a side gone is never taken as empty, so nothing was changed.${holdsDirs(gone) ? '' : " If its last file was deleted on purpose, add --allow-empty-source --max-delete 100% to delete the other side's files too."}`,
        })
      }
      const backlog = new Backlog(8192)
      await lastValueFrom(
        diff(openListing(a, listOpts('a')), openListing(b, listOpts('b')), {
          backlog,
          signal,
          admitSource: listedEntryCheck(a, {
            ...listOpts('a'),
            foldCase: !b.capabilities.caseSensitive,
            onExcluded: (e) => noteExcluded('a', e.path),
          }),
          admitTarget: listedEntryCheck(b, {
            ...listOpts('b'),
            foldCase: !a.capabilities.caseSensitive,
            onExcluded: (e) => noteExcluded('b', e.path),
          }),
          // A directory marked on one side excludes the other's copy too (see `markerRun`).
          ...(marker
            ? {
                drop: (pair: EntryPair) =>
                  marker.drop(pair, (p) => {
                    if (p.source !== undefined) noteExcluded('a', p.path)
                    if (p.target !== undefined) noteExcluded('b', p.path)
                  }),
              }
            : {}),
        }).pipe(
          bufferCount(WINDOW),
          concatMap(async (listed) => {
            const recorded = await options.state.getMany(listed.map((p) => p.path))
            const priors = gaps
              ? listed.map((p, i) => {
                  const trusted = gaps.trusted(p.path, (p.source ?? p.target)?.kind === 'dir', recorded[i])
                  // Gone at once, not when the pair is settled: a run that fails or is stopped before
                  // then leaves no record that the next run would trust again (review of today's changes #1).
                  if (trusted === undefined && recorded[i] !== undefined) forgetRecord(p.path)
                  return trusted
                })
              : recorded
            const pairs = await withStoredMtimes(listed, priors)
            const same = await contentOf(pairs, priors)
            pairs.forEach((pair, i) => {
              noteCopy('a', pair.source)
              noteCopy('b', pair.target)
              if (pair.source && pair.source.kind !== 'dir') files.a++
              if (pair.target && pair.target.kind !== 'dir') files.b++
              // (A file and a directory of one name come as two pairs: a record is the file's or the directory's.)
              const prior = priors[i]
              const kind = (pair.source ?? pair.target)?.kind
              const fits = prior === undefined || (prior.source.kind === 'dir') === (kind === 'dir')
              const content = same[i]
              // (Its hashes could not be read: left as it is, and the run's deletes held back.)
              if (content === 'failed') return
              // A directory one side lists and the other cannot hold (S3: no empty directories, so
              // one-way sync plans no mkdir there either): neither made there nor deleted here. Its
              // absence there says nothing: decided as one, a mkdir "created" it for nothing, and the
              // next run took it for deleted there and deleted the user's empty directory here.
              const lone = pair.target === undefined ? 'b' : pair.source === undefined ? 'a' : undefined
              if (lone !== undefined && (pair.source ?? pair.target)?.kind === 'dir' && !holdsDirs(backends[lone])) {
                const reason = `a directory, which ${lone.toUpperCase()} does not hold`
                // (Where a file of its name comes from that side, it may go: see clearDirsInTheWay.)
                loneDirs[otherSide(lone)].set(pair.path, {
                  entry: (pair.source ?? pair.target)!,
                  recorded: prior !== undefined && fits,
                })
                place(
                  pair.path,
                  pair.source,
                  pair.target,
                  prior !== undefined && fits ? { kind: 'forget', reason } : { kind: 'in-sync', record: false, reason },
                )
                return
              }
              const d = decideBisync(
                { path: pair.path, a: pair.source, b: pair.target, prior: fits ? prior : undefined },
                content === undefined ? decideOpts : { ...decideOpts, sameContent: content },
              )
              place(pair.path, pair.source, pair.target, d)
            })
            backlog.release(pairs.length)
            await flush()
          }),
        ),
        { defaultValue: undefined },
      )
      for (const s of ['a', 'b'] as const) {
        const lane = lanes[s]
        const kept = keptDirs[s]
        const deletes = lane.deletes.filter((del) => !kept.has(del.path) && !heldByExcluded(s, del))
        lane.deletes.splice(0, lane.deletes.length, ...deletes)
      }
      // Renames, paired per direction once both listings are in (a rename's new name may sort before
      // its old one). Not after a listing error or a failed decision: a file the other side may still
      // hold where it could not be listed is not moved away.
      const moves = new Map<Action, Action>()
      if (mayBeRenames.length > 0 && renameAlgo !== undefined && listingErrors === 0 && failures === 0) {
        for (const s of ['a', 'b'] as const) {
          const paired = await pairLaneRenames(lanes[s], {
            source: backends[otherSide(s)],
            target: backends[s],
            hashAlgo: renameAlgo,
            ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
            signal,
          })
          for (const [copy, move] of paired) moves.set(copy, move)
        }
      }
      for (const copy of mayBeRenames) planned(moves.get(copy) ?? copy)
      for (const s of ['a', 'b'] as const) for (const del of lanes[s].deletes) planned(del)
      findKindClashes()
    })

    /**
     * Files carried to a side whose directory of that name gets new content carried the other way
     * (a directory replaced by a file on one side while the other added to it; a file edited on one
     * side that the other turned into a directory with files): the two writes block each other, and
     * every run failed both, for ever (review of watch #3). Each such copy is taken out of its lane;
     * `clash$` steps the file aside on its own side as a conflict copy, which crosses as a new file,
     * and the directory keeps the name on both sides (its content is newer than the record: what
     * keep-both keeps under the name).
     */
    const kindClashes: {
      path: RelPath
      on: BisyncSide
      entry: Entry
      /** The directory is on `on` too: an S3 object that is also the prefix of other keys (`x`, `x/y`). */
      own?: boolean
    }[] = []
    /**
     * A file copied to a side where a directory of its name sits that the other side, which holds no
     * directories (S3), does not imply by a key. Left, the copy failed "a directory is in the way"
     * on every run, and held back the very deletes that would clear it (a directory replaced by a
     * file in the bucket: `d/x` deleted, `d` put). A directory synced before, or one the run
     * empties, is deleted with what the run deletes below it, the copy after (as between two local
     * directories); one the run leaves as it is (an empty directory never synced) keeps the name,
     * the file kept beside it as a conflict copy (see `clash$`), as keep-both keeps a directory.
     * One with content going to the other side is left to the clashes below.
     */
    /** The directories above what a lane copies (made by those copies on its side). */
    const dirsAbove = (lane: Lane): Set<string> => {
      const dirs = new Set<string>()
      for (const c of [...lane.copies, ...lane.afterDeletes]) addAncestorDirs(c.path, dirs)
      return dirs
    }
    const clearDirsInTheWay = (to: BisyncSide): void => {
      const dirs = loneDirs[to]
      if (dirs.size === 0) return
      const from = otherSide(to)
      const dirsGoing = dirsAbove(lanes[from])
      const lane = lanes[to]
      const kept = lane.copies.filter((copy) => {
        const dir = copy.source === undefined || copy.source.kind === 'dir' ? undefined : dirs.get(copy.path)
        if (dir === undefined || dirsGoing.has(copy.path)) return true
        const below = `${copy.path}/`
        if (!dir.recorded && !lane.deletes.some((d) => d.path.startsWith(below))) {
          kindClashes.push({ path: copy.path, on: from, entry: copy.source! })
          return false
        }
        const del: Action = {
          kind: 'delete',
          path: copy.path,
          target: dir.entry,
          reason: `a file on ${from.toUpperCase()} now`,
          to,
        }
        lane.deletes.push(del)
        planned(del)
        // Its subdirectories, which the other side holds no more than it: left, `copy.path` was not
        // empty when its turn came, and the copy failed "a directory is in the way" (a directory
        // below one that is deleted is deleted first; one that still holds anything is kept, and
        // so is the directory above it: nothing below that the run does not delete goes).
        const deleting = new Set<string>(lane.deletes.map((d) => d.path))
        for (const [key, sub] of dirs) {
          if (!key.startsWith(below) || deleting.has(key)) continue
          const subDel: Action = { kind: 'delete', path: sub.entry.path, target: sub.entry, reason: del.reason, to }
          lane.deletes.push(subDel)
          planned(subDel)
        }
        return true
      })
      lane.copies.splice(0, lane.copies.length, ...kept)
    }
    const findKindClashes = (): void => {
      clearDirsInTheWay('a')
      clearDirsInTheWay('b')
      for (const to of ['a', 'b'] as const) {
        const from = otherSide(to)
        // The directories above what goes to `from`: a file of that name coming from `from` clashes.
        const dirsGoing = dirsAbove(lanes[from])
        // And the directories above what goes to `to` with it: a side that holds a file and keys
        // below its name (S3: `x` and `x/y`) sends both, and the file's copy failed "a directory is
        // in the way" once the other's made the directory (the next run then found the clash).
        // (Not where `to` holds no directories either: S3 to S3 keeps both as they are.)
        const ownDirs = holdsDirs(backends[to]) ? dirsAbove(lanes[to]) : new Set<string>()
        if (dirsGoing.size === 0 && ownDirs.size === 0) continue
        for (const list of [lanes[to].copies, lanes[to].afterDeletes]) {
          const kept = list.filter((c) => {
            if (c.source === undefined || c.source.kind === 'dir') return true
            const own = !dirsGoing.has(c.path) && ownDirs.has(c.path)
            if (!own && !dirsGoing.has(c.path)) return true
            kindClashes.push({ path: c.path, on: from, entry: c.source, ...(own ? { own } : {}) })
            return false
          })
          list.splice(0, list.length, ...kept)
        }
      }
    }
    const clash$ = defer(() =>
      from(kindClashes).pipe(
        concatMap(async ({ path, on, entry, own }): Promise<SyncEvent[]> => {
          const to = otherSide(on)
          const name = await freeConflictName(path, on)
          const copyOf = (source: Entry): Action => ({
            kind: 'copy',
            path: name,
            source: { ...source, path: name },
            reason: `conflict copy of ${path} (${own ? `keys below its name on ${on.toUpperCase()} make it a directory` : `a directory of that name on ${to.toUpperCase()} has new content`})`,
            to,
          })
          const said = (would: boolean): SyncEvent => ({
            type: 'notice',
            ts: Date.now(),
            code: 'CONFLICT_KEPT',
            message: `${path} is a file on ${on.toUpperCase()} and ${own ? `the prefix of other keys there too` : `a directory with new content on ${to.toUpperCase()}`}: the directory ${would ? 'would keep' : 'keeps'} the name, ${on.toUpperCase()}'s file ${would ? 'would be' : 'is'} kept as ${name} on both`,
            path,
          })
          const side = backends[on]
          if (dryRun) {
            const copy = copyOf(entry)
            lanes[to].copies.push(copy)
            planned(copy)
            return [said(true)]
          }
          try {
            if (!supports.move(side)) {
              throw new SyncError('CONFLICT', `${path} is a directory on one side and not on the other`, {
                op: 'bisync',
                path,
                hint: 'Rename or remove one of the two, then run again.',
              })
            }
            const moved = await side.move(path, name, { expect: null })
            const copy = copyOf(moved)
            lanes[to].copies.push(copy)
            planned(copy)
            conflictCopies.push(name)
            return [said(false)]
          } catch (err) {
            failures++
            const error = asSyncError(err, 'bisync', path)
            return [{ type: 'failed', ts: Date.now(), path, error: error.toJSON(), stage: 'plan' }]
          }
        }),
        mergeMap((events) => from(events)),
      ),
    )

    /**
     * True when the two present files of a pair are compared: no record, or changed on both sides
     * since; under `--checksum`, changed on either (the other may have those bytes already).
     */
    const compared = (ea: Entry, eb: Entry, prior: StateRecord | undefined): boolean => {
      if (prior === undefined) return true
      const ca = sideChange(prior.source, ea, prior.syncedAt, decideOpts.writeTimes.a) !== 'same'
      const cb = sideChange(prior.target, eb, prior.syncedAt, decideOpts.writeTimes.b) !== 'same'
      return hashAlgo !== undefined ? ca || cb : ca && cb
    }
    /** True when the two present files of a pair are both changed since the record, or have none. */
    const conflicting = (ea: Entry, eb: Entry, prior: StateRecord | undefined): boolean =>
      prior === undefined ||
      (sideChange(prior.source, ea, prior.syncedAt, decideOpts.writeTimes.a) !== 'same' &&
        sideChange(prior.target, eb, prior.syncedAt, decideOpts.writeTimes.b) !== 'same')
    /**
     * Under `--checksum`, per pair: whether its two compared files of one size hold the same bytes
     * (`undefined`: not compared, or no hash to tell, said by a notice), or `failed` (a hash could
     * not be read: said as a failure of the plan, which holds back the run's deletes).
     */
    const contentOf = async (
      pairs: readonly EntryPair[],
      priors: readonly (StateRecord | undefined)[],
    ): Promise<(boolean | 'failed' | undefined)[]> => {
      const out: (boolean | 'failed' | undefined)[] = pairs.map(() => undefined)
      const algo = hashAlgo
      if (algo === undefined) return out
      const todo = pairs.flatMap(({ source: ea, target: eb }, i) =>
        ea?.kind === 'file' && eb?.kind === 'file' && ea.size === eb.size && compared(ea, eb, priors[i]) ? [i] : [],
      )
      for (let at = 0; at < todo.length; at += STATS_AT_ONCE) {
        await Promise.all(
          todo.slice(at, at + STATS_AT_ONCE).map(async (i) => {
            const { path, source: ea, target: eb } = pairs[i]!
            try {
              out[i] = await sameContent(a, b, ea!, eb!, algo, signal)
              if (out[i] === undefined)
                notice('NO_COMMON_HASH', `no ${algo} for ${path}: compared size and mtime instead`, path)
            } catch (err) {
              if (signal.aborted) throw err
              out[i] = 'failed'
              failures++
              side$.next({
                type: 'failed',
                ts: Date.now(),
                path,
                error: asSyncError(err, 'hash', path).toJSON(),
                stage: 'plan',
              })
            }
          }),
        )
      }
      return out
    }

    /**
     * The pairs whose two present files are compared (see `compared`),
     * with the mtime each side stores where its listing gives write times (S3: the upload time):
     * read by `stat`, as one-way sync does. Without it a first run to a bucket took every file of
     * one size as a conflict.
     */
    const withStoredMtimes = async (
      pairs: readonly EntryPair[],
      priors: readonly (StateRecord | undefined)[],
    ): Promise<EntryPair[]> => {
      const out = [...pairs]
      if (a.capabilities.listMtime && b.capabilities.listMtime) return out
      const todo: number[] = []
      pairs.forEach((pair, i) => {
        const { source: ea, target: eb } = pair
        if (ea?.kind !== 'file' || eb?.kind !== 'file') return
        // Two of one size: the mtimes say whether they are the same. Two of different sizes: a
        // conflict where both changed (or never synced), whose mtimes say which is the newer: by the
        // upload time, another host's copy of an older edit, uploaded last, won `--conflict newer`
        // over a newer local edit (and kept the name under keep-both).
        if (ea.size === eb.size ? compared(ea, eb, priors[i]) : conflicting(ea, eb, priors[i])) todo.push(i)
      })
      for (let at = 0; at < todo.length; at += STATS_AT_ONCE) {
        await Promise.all(
          todo.slice(at, at + STATS_AT_ONCE).map(async (i) => {
            const pair = out[i]!
            const [sa, sb] = await Promise.all([
              a.capabilities.listMtime ? pair.source : a.stat(pair.path),
              b.capabilities.listMtime ? pair.target : b.stat(pair.path),
            ])
            // (Gone or changed kind since listed: decided as listed; the write's check catches it.)
            if (sa?.kind === 'file' && sb?.kind === 'file') out[i] = { path: pair.path, source: sa, target: sb }
          }),
        )
      }
      return out
    }

    /**
     * The conflict copy a stopped run kept of `lost` already, among those listed for its path: one
     * of the same size and mtime (within the window) whose bytes are `lost`'s, by hash. Size and
     * mtime alone took an earlier conflict's copy of another version for it, and that version was
     * then lost (review of watch #2: two conflicts within a FAT side's 2 s, or a --modify-window).
     * None where the side offers no hash: a second copy of one version is no loss.
     */
    const keptAlready = async (side: Backend, listed: Entry[] | undefined, lost: Entry): Promise<Entry | undefined> => {
      const window = Math.max(decideOpts.modifyWindowMs, 1)
      const alike = (listed ?? []).filter((e) => e.size === lost.size && Math.abs(e.mtimeMs - lost.mtimeMs) <= window)
      const algo = alike.length > 0 ? commonHash(side, side) : undefined
      if (algo === undefined) return undefined
      const want = await hashOf(side, lost, algo, signal).catch(() => undefined)
      for (const e of alike) {
        if (want !== undefined && (await hashOf(side, e, algo, signal).catch(() => undefined)) === want) return e
      }
      return undefined
    }
    /**
     * A conflict-copy name for `path` that neither side holds: the second conflict of one file in the
     * same second (a watch's passes come that close) is numbered, never kept over the first one's
     * copy (review of watch #1: that version was lost on both sides).
     */
    const freeConflictName = async (path: RelPath, loser: BisyncSide): Promise<RelPath> => {
      // (A side that cannot say is taken as free: the copy is kept with `fresh`, which never replaces.)
      const held = (side: Backend, name: RelPath) => side.stat(name).catch(() => undefined)
      for (let nth = 1; nth < 100; nth++) {
        const name = conflictName(path, at, loser, nth)
        const [onA, onB] = await Promise.all([held(a, name), held(b, name)])
        if (onA === undefined && onB === undefined) return name
      }
      return conflictName(path, at, loser, 100)
    }

    /** Keeps each conflict's losing version beside it on its own side; the lanes then carry it across. */
    const keep$ = defer(() =>
      from(keeps).pipe(
        concatMap(async ({ path, loser, winner, lost }) => {
          // Kept already, by a run stopped since: that copy crosses as any new file (planned so).
          const earlier = await keptAlready(backends[loser], listedCopies[loser].get(path), lost)
          const name = earlier?.path ?? (await freeConflictName(path, loser))
          const update: Action = {
            kind: 'update',
            path,
            source: winner,
            target: lost,
            reason: `changed on both sides: both kept (${otherSide(loser).toUpperCase()}'s under the name, ${loser.toUpperCase()}'s as ${name})`,
            to: loser,
          }
          planned(update)
          const w = otherSide(loser).toUpperCase()
          // (Of two versions with the same mtime, A's keeps the name: not "the newer", review 39.)
          const tie = Math.abs(winner.mtimeMs - lost.mtimeMs) <= decideOpts.modifyWindowMs
          const which = tie ? `as new as ${loser.toUpperCase()}'s: ${w} wins a tie` : 'the newer'
          const said = (kept: string, would: boolean): SyncEvent => ({
            type: 'notice',
            ts: Date.now(),
            code: 'CONFLICT_KEPT',
            message: `${path} changed on both sides: ${w}'s version (${which}) ${would ? 'would keep' : 'keeps'} the name, ${loser.toUpperCase()}'s ${would ? 'would be' : 'is'} kept as ${kept} on both`,
            path,
          })
          if (dryRun) {
            // Said as the run would do it: the update, in the lane's dry run, what is kept, and the
            // kept copy's crossing to the other side (one kept by a stopped run is listed, and
            // planned so already).
            lanes[loser].afterDeletes.push(update)
            if (earlier === undefined) {
              const copy: Action = {
                kind: 'copy',
                path: name,
                source: { ...lost, path: name },
                reason: `conflict copy of ${path}`,
                to: otherSide(loser),
              }
              lanes[otherSide(loser)].copies.push(copy)
              planned(copy)
            }
            return [said(name, true)]
          }
          const lb = backends[loser]
          if (earlier !== undefined) {
            lanes[loser].afterDeletes.push(update)
            conflictCopies.push(name)
            return [said(name, false)]
          }
          try {
            const expect = await backUp(lb, lb, path, { as: name, planned: lost, signal, fresh: true })
            const kept = await lb.stat(name)
            if (kept === undefined) throw new SyncError('NOT_FOUND', `${name} is gone`, { op: 'bisync', path: name })
            const copy: Action = {
              kind: 'copy',
              path: name,
              source: kept,
              reason: `conflict copy of ${path}`,
              to: otherSide(loser),
            }
            lanes[otherSide(loser)].copies.push(copy)
            planned(copy)
            // The loser's name is replaced once its version has crossed (in the second stage): the
            // copy reads the kept file while no rename over its other name changes it.
            lanes[loser].afterDeletes.push({ ...update, target: expect ?? lost })
            conflictCopies.push(name)
            return [said(name, false)]
          } catch (err) {
            failures++
            const error = asSyncError(err, 'bisync', path)
            return [
              { type: 'failed', ts: Date.now(), path, error: error.toJSON(), stage: 'transfer', action: update },
            ] as SyncEvent[]
          }
        }),
        mergeMap((events) => from(events)),
      ),
    )

    const handlesCap = openFilesCap(openFilesLimit())
    const limiter = options.bwlimit ? new RateLimiter(options.bwlimit) : undefined
    // Every action in flight listens to `signal` a few times, as one-way sync's do (see sync.ts), and
    // both directions run at once: hundreds of listeners are the design, not a leak. (Node warned
    // "MaxListenersExceededWarning … 11 abort listeners" on a first bisync of 40 files to S3.)
    const inFlight = (['a', 'b'] as const).reduce((n, to) => {
      const source = backends[otherSide(to)]
      const target = backends[to]
      const lane = laneConcurrency(source, target, options.concurrency, Math.max(1, Math.floor(handlesCap / 2)))
      return n + lane.concurrency + (target.capabilities.groupCommit ?? 0)
    }, 0)
    setMaxListeners(Math.max(defaultMaxListeners, 8 * inFlight + 64), signal)
    const laneOpts = (lane: Lane) => {
      const source = backends[otherSide(lane.to)]
      const target = backends[lane.to]
      // rsync-style deltas where a side is a `syncflow serve`, each way, as one-way sync's (review
      // of the pull resume: a two-way run over grpc:// sent every changed file whole).
      const delta = deltaHook(source, target, options.blockSize, notice, limiter)
      return {
        source,
        target,
        dryRun,
        ...(delta ? { delta } : {}),
        // One limit for both directions at once: --bwlimit was accepted here and not applied.
        ...(limiter ? { limiter } : {}),
        // As one-way sync's (a local target's small writes fill its commit groups: without, each
        // small group waited for its flush, and a first run of 1,000 files took 2.8× rclone's time),
        // the open-files limit shared by the two directions that run at once.
        ...laneConcurrency(source, target, options.concurrency, Math.max(1, Math.floor(handlesCap / 2))),
        signal,
        deletesPlanned: true,
        // (A directory may still hold excluded files put there since the listing: the reason says so.)
        ...(runFilter !== undefined && !runFilter.empty ? { hasExcludes: true } : {}),
        maxDelete: options.maxDelete ?? { percent: 50 },
        ...(options.allowEmptySource ? { allowEmptySource: true } : {}),
        ...(options.checkUpdated === false ? { checkUpdated: false } : {}),
        // The guard's reasons name the sides: "B is empty", not "the source is empty".
        sideNames: { source: otherSide(lane.to).toUpperCase(), target: lane.to.toUpperCase() },
        facts: () => ({
          sourceFiles: files[otherSide(lane.to)],
          targetFiles: files[lane.to],
          listingErrors,
          planFailures: failures,
        }),
      }
    }
    /** Records what a lane's completed action left in sync (the side it wrote and the side it read). */
    const recordDone = (lane: Lane) =>
      tap((e: SyncEvent) => {
        if (e.type === 'failed' && e.stage !== 'list') failures++
        if (e.type !== 'completed' || dryRun) return
        const act = e.action
        if (act.kind === 'delete') {
          forgetRecord(act.path)
          return
        }
        if (act.kind === 'move' && act.from !== undefined) {
          // The old name is gone from both sides now. A move whose mtime could not be carried (a
          // hard-linked file, another user's) returns no entry: recorded at the end from both sides
          // as they are (the same bytes, other mtimes), as a touch the side cannot take is; left
          // unrecorded, the next run took the pair for a conflict (review of stop 41).
          forgetRecord(act.from)
          if (e.result === undefined) {
            movedAsIs.push(act.path)
            return
          }
        }
        if (!act.source) return
        const written = e.result ?? act.source
        const [ea, eb] = lane.to === 'b' ? [act.source, written] : [written, act.source]
        setRecord(act.path, recordOf(ea, eb))
      })
    /** One direction's copies (or deletes), through one-way sync's transfer. */
    const run = (lane: Lane, actions: readonly Action[]): Observable<SyncEvent> =>
      actions.length === 0
        ? EMPTY
        : from(actions).pipe(
            transfer(laneOpts(lane)),
            recordDone(lane),
            concatMap(async (e) => {
              await flush()
              return e
            }),
          )
    /**
     * A conflict copy kept by a hard link on the loser's side changes (its ctime, the local
     * version) when the loser's name is replaced: recorded as both sides are at the end, where
     * they still agree, the next run finds it in sync rather than changed. (Mtimes agree within
     * the run's window: the copy's is set to the microsecond, the kept file's has nanoseconds.)
     */
    const recordMovedAsIs = async (): Promise<void> => {
      for (const path of movedAsIs) {
        const [ea, eb] = await Promise.all([a.stat(path), b.stat(path)])
        if (ea?.kind === 'file' && eb?.kind === 'file' && ea.size === eb.size) setRecord(path, recordOf(ea, eb))
      }
    }
    const recordConflictCopies = async (): Promise<void> => {
      if (dryRun) return
      for (const name of conflictCopies) {
        const [ea, eb] = await Promise.all([a.stat(name), b.stat(name)])
        if (
          ea?.kind === 'file' &&
          eb?.kind === 'file' &&
          ea.size === eb.size &&
          Math.abs(ea.mtimeMs - eb.mtimeMs) <= Math.max(decideOpts.modifyWindowMs, 1)
        ) {
          setRecord(name, recordOf(ea, eb))
        }
      }
    }
    /**
     * The writes into a side whose deletes of the other the guard will refuse as a side emptied or
     * gutted (no files left, or beyond --max-delete: an unmounted disk, its empty mount point):
     * held back with them, as skipped. Written there and recorded, they made the returning disk's
     * older versions read as edits that then replaced the other side's newer ones.
     */
    const holdWritesToGutted = (): SyncEvent[] => {
      const held: SyncEvent[] = []
      for (const lane of [lanes.a, lanes.b]) {
        const gutted = otherSide(lane.to)
        const verdict = guardDeletes({
          deletes: lane.deletes.length,
          dirDeletes: lane.deletes.filter((d) => d.target?.kind === 'dir').length,
          sourceFiles: files[gutted],
          targetFiles: files[lane.to],
          failures: 0,
          listingErrors: 0,
          aborted: false,
          maxDelete: options.maxDelete ?? { percent: 50 },
          ...(options.allowEmptySource ? { allowEmptySource: true } : {}),
          sideNames: { source: gutted.toUpperCase(), target: lane.to.toUpperCase() },
        })
        if (verdict.allowed || (verdict.code !== 'EMPTY_SOURCE' && verdict.code !== 'MAX_DELETE')) continue
        const into = lanes[gutted]
        const reason = `not written to ${gutted.toUpperCase()}, whose deletes of ${lane.to.toUpperCase()} are held back: ${verdict.reason}`
        for (const action of [...into.copies, ...into.afterDeletes]) {
          held.push({ type: 'skipped', ts: Date.now(), path: action.path, reason, action })
        }
        into.copies.splice(0)
        into.afterDeletes.splice(0)
      }
      return held
    }
    const blockedByDelete = (lane: Lane): void => {
      const deleted = new Set(lane.deletes.map((d) => d.path as string))
      const blocked = (p: string): boolean => {
        for (let q = p; ; ) {
          if (deleted.has(q)) return true
          const slash = q.lastIndexOf('/')
          if (slash < 0) return false
          q = q.slice(0, slash)
        }
      }
      const keep: Action[] = []
      for (const c of lane.copies) (blocked(c.path) ? lane.afterDeletes : keep).push(c)
      lane.copies.splice(0, lane.copies.length, ...keep)
    }

    const pipeline$ = concat(
      plan$.pipe(mergeMap(() => EMPTY)),
      keep$,
      clash$,
      defer(() => {
        const held = holdWritesToGutted()
        blockedByDelete(lanes.a)
        blockedByDelete(lanes.b)
        return concat(from(held), merge(run(lanes.a, lanes.a.copies), run(lanes.b, lanes.b.copies)))
      }),
      // Both roots looked at again just before any delete: a side unmounted or removed while the run
      // went (its files vanishing one by one, as an `rm -rf` or a watch's pass between two removals
      // sees them: review 39) would have each file it lost deleted on the other side. A root gone is
      // a failure, which holds back every delete of both directions.
      defer(async () => {
        if (lanes.a.deletes.length + lanes.b.deletes.length === 0) return []
        const exists = await Promise.all([a.rootExists(), b.rootExists()])
        return (['a', 'b'] as const).flatMap((s, i): SyncEvent[] => {
          if (exists[i] || s === emptyByConsent) return []
          failures++
          const gone = backends[s]
          const error = new SyncError(
            'NOT_FOUND',
            `${s.toUpperCase()} ${gone.uri} is gone: no delete runs on either side`,
            {
              op: 'bisync',
              path: gone.uri,
              hint: 'It was there when the run began (unmounted, moved or removed since?): put it back, then run again.',
            },
          )
          return [
            {
              type: 'failed',
              ts: Date.now(),
              path: gone.uri,
              error: error.toJSON(),
              stage: 'list',
              side: s === 'a' ? 'source' : 'target',
            },
          ]
        })
      }).pipe(mergeMap((events) => from(events))),
      // Deletes last, on both sides, once every copy of both directions is done: the guard of each
      // direction sees the failures of both.
      defer(() =>
        merge(
          run(lanes.a, [...lanes.a.deletes, ...lanes.a.afterDeletes]),
          run(lanes.b, [...lanes.b.deletes, ...lanes.b.afterDeletes]),
        ),
      ),
      defer(async () => {
        await recordConflictCopies()
        await recordMovedAsIs()
        await flush(true)
        if (dryRun || signal.aborted) return
        // A side that began the run missing (taken as empty) and still is: the run leaves it as a
        // first run finds it, and the next run is one (else an S3 prefix emptied with consent, or
        // one nothing was copied to yet, would be refused as gone, though it is as this run left it).
        const leftMissing = missingSide !== undefined && !(await backends[missingSide].rootExists())
        // Unless its deletes were held back (--max-delete, a failure): the job still holds the other
        // side's files as synced with it, and a run without consent is refused up front as before,
        // with the way out (it ran, and failed "… is gone … It was there when the run began").
        if (leftMissing && emptyByConsent !== undefined && (failures > 0 || summary.deletesSuppressed !== undefined))
          return
        await (leftMissing ? options.state.deleteMeta(LAST_RUN) : options.state.setMeta(LAST_RUN, Date.now()))
      }).pipe(mergeMap(() => EMPTY)),
    ).pipe(
      catchError((err: unknown) => {
        const error = asSyncError(err, 'bisync')
        if (error.code === 'ABORTED' || signal.aborted) {
          summary.interrupted = true
          return EMPTY
        }
        summary.fatal = error.toJSON()
        return of<SyncEvent>({
          type: 'failed',
          ts: Date.now(),
          path: error.path ?? '',
          error: error.toJSON(),
          stage: 'list',
        })
      }),
      tap({ finalize: () => side$.complete() }),
    )

    return concat(
      merge(side$, pipeline$).pipe(
        tap((e) => {
          // (Planned events were counted as they were made: the lanes' own are not planned again.)
          if (e.type !== 'planned') summary.add(e)
        }),
      ),
      defer(() => {
        if (signal.aborted) summary.interrupted = true
        link.unlink()
        return of<SyncEvent>({ type: 'done', ts: Date.now(), summary: summary.build() })
      }),
    ).pipe(tap({ unsubscribe: () => abort.abort() }))
  })
}
