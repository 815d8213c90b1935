import { concat, defer, EMPTY, filter, from, mergeMap, type Observable, of, tap } from 'rxjs'
import { type Backend, type ListOptions, supports } from '../backend/backend.js'
import { sync } from '../engine/sync.js'
import type { MaxDelete, SyncOptions } from '../engine/sync-options.js'
import { asSyncError, SyncError, type SyncErrorCode } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Action, ActionKind } from '../model/action.js'
import { compareEntries, type Entry } from '../model/entry.js'
import { parentRelPath, type RelPath } from '../model/rel-path.js'
import { symlinkSkipped } from '../model/symlink-skipped.js'
import type { NoticeCode, SyncEvent, SyncSummary } from '../model/sync-event.js'
import { commonHash } from '../operators/decide.js'
import { DirectoryTimes } from '../operators/directory-times.js'
import { executeAction } from '../operators/execute-action.js'
import { listingErrorHoldsDeletes } from '../operators/guard-deletes.js'
import { record } from '../operators/record.js'
import { KeptPaths } from '../util/kept-paths.js'
import { mapConcurrent } from '../util/map-concurrent.js'
import { backendView } from './backend-view.js'
import { findMoves } from './find-moves.js'
import { listSubtrees } from './list-subtrees.js'

/** Options of `syncPaths`: those of `sync`, and two of its own. */
export interface SyncPathsOptions extends SyncOptions {
  /** Pair a vanished file and a new file of the same content into a `move` (mirror mode). [true] */
  readonly detectMoves?: boolean
  /** Paths stated at once on each side. [16] */
  readonly statConcurrency?: number
  /**
   * Whether a source file found inside a new directory (not named by a change, so not checked for
   * stability) may ship now; one that may not is left out of this cycle on both sides (what the
   * target holds there, and below, is neither shipped nor deleted) and passed to `onUnsettled`.
   * [all may]
   */
  readonly settled?: (entry: Entry) => boolean
  /** Receives the paths left out by `settled` or `seen` (the continuous job checks them again). */
  readonly onUnsettled?: (paths: readonly RelPath[]) => void
  /**
   * What the source held at a changed path when its change was found stable (`undefined`: nothing).
   * A source file now different from it (written since: a file deleted, then written again while
   * its delete waited for this cycle) is left out of the cycle on both sides and passed to
   * `onUnsettled`, so it is not shipped half-written; so is a file gone since (renamed, maybe, its
   * new name still being written). Paths not in it are not checked. [none]
   */
  readonly seen?: ReadonlyMap<RelPath, Entry | undefined>
  /**
   * Files the target holds, as far as the caller knows (the continuous job: what its last full
   * pass listed, kept up to date by the cycles since), which a percentage `maxDelete` is measured
   * against: the cycle's own listing holds only its changed paths. [unknown: a percentage holds
   * every delete of the cycle back]
   */
  readonly targetFiles?: number
  /**
   * Of the continuous job: the target's file count its last full pass listed, and the files its
   * cycles deleted since (not those they had copied since), against which a `maxDelete` holds for
   * all of those deletes and the cycle's together (see `MaxDelete.alreadyDeleted`). [the cycle's
   * deletes alone, a percentage of `targetFiles`]
   */
  readonly sinceFullPass?: {
    readonly targetFiles: number
    readonly deleted: number
    /** Whether the file at a path was copied since that pass (its delete is not counted). [none] */
    readonly copied?: (path: string) => boolean
  }
  /**
   * Paths a change reported removed or renamed away (`ObservedChange.removed`). A directory found
   * at one on both sides was made again: it is another directory than the one the target mirrors,
   * and is compared whole (its subtree listed on both sides), so that the old contents, which had no
   * event of their own, are deleted in this cycle (QA 12 #3: `mv logs logs.old; mkdir logs` left
   * the old files in the mirror until the next rescan). [none]
   */
  readonly replaced?: ReadonlySet<RelPath>
  /**
   * Receives, before the cycle's sync runs, which paths it looked at on both sides: those stated
   * and those below a directory it listed, not where a stat or listing failed, nor what it left out
   * (`settled`, `seen`). A path below a changed directory that is a directory on both sides is not
   * looked at (its contents are not listed). [none]
   */
  readonly onExamined?: (examined: (path: RelPath) => boolean) => void
}

/**
 * True when `now`, the source entry at a path, is still the file (or absence) the change saw. A
 * file gone since is not: renamed after its check (`mv app.log app-1.log`, the writer still
 * appending), its delete here ran while the new name waited to settle, and the target held
 * neither name; checked again, its removal waits for the new name (`holdForNewNames`).
 */
function asSeen(was: Entry | undefined, now: Entry | undefined): boolean {
  if (now === undefined) return was?.kind !== 'file'
  if (now.kind !== 'file') return true // a directory or a symlink: nothing half-written
  return was?.kind === 'file' && was.size === now.size && was.mtimeMs === now.mtimeMs
}

type Side = Map<RelPath, Entry>

/** True when `path` or a directory above it is in `paths`. */
function atOrBelow(path: RelPath, paths: ReadonlySet<RelPath>): boolean {
  for (let p: RelPath | undefined = path; p !== undefined; p = parentRelPath(p)) if (paths.has(p)) return true
  return false
}

/**
 * True when the source holds at least one file (reads the start of a listing only). The listing
 * errors met on the way go to `onError`: a source whose only files are in an unreadable directory
 * is not known to be empty, and the cycle reports that directory and holds its deletes back, as a
 * full run does (QA 6 F3: it said "the source is empty" and suggested --allow-empty-source).
 */
async function hasAnyFile(
  source: Backend,
  onError: (error: SyncError) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  for await (const e of source.list({ onError, ...(signal ? { signal } : {}) })) {
    if (e.kind !== 'dir') return true
  }
  return false
}

/**
 * A cycle's listing of one side: its entries in listing order, after the errors met stating and
 * listing that side's paths. Given to `sync` as the side's listing errors, they are reported with
 * their side and hold the cycle's deletes back as in a full run (a name that is not UTF-8 where a
 * removed file went, another directory included: the target's copy was deleted, QA).
 */
async function* listing(
  entries: Iterable<Entry>,
  errors: readonly SyncError[],
  opts?: ListOptions,
  skippedLinks: Iterable<string> = [],
  said: ReadonlyMap<string, { code: NoticeCode; message: string; path?: string }> = new Map(),
): AsyncGenerator<Entry> {
  for (const error of errors) {
    if (!opts?.onError) throw error
    opts.onError(error)
  }
  // Said before any entry, as a full listing says each before the merge-join passes its path:
  // the cycle's sync keeps what the target has there (review 20 #1).
  for (const path of skippedLinks) {
    // A special file's notice as its stat said it: shown, as a full listing shows it.
    opts?.onNotice?.(said.get(path) ?? symlinkSkipped(path))
  }
  yield* [...entries].sort(compareEntries)
}

/**
 * A cycle's `--max-delete`: a percentage is of the whole target's `targetFiles` (null: not known);
 * with `since`, the limit holds for the deletes since the last full pass and the cycle's together,
 * a percentage of the files that pass listed.
 */
function cycleMaxDelete(
  max: MaxDelete,
  targetFiles: number | undefined,
  since: SyncPathsOptions['sinceFullPass'],
): MaxDelete {
  const already = {
    ...(since !== undefined && since.deleted > 0 ? { alreadyDeleted: since.deleted } : {}),
    ...(since?.copied !== undefined ? { uncounted: since.copied } : {}),
  }
  if ('count' in max) return { count: max.count, ...already }
  if (since !== undefined) return { percent: max.percent, ofTargetFiles: since.targetFiles, ...already }
  return { percent: max.percent, ofTargetFiles: targetFiles ?? null }
}

/** What a cycle did outside `sync` (moves, stats), to be added to its summary. */
interface Extra {
  movesPlanned: number
  movesDone: number
  /** Moves that failed, by path, with their error's code. */
  readonly failedMoves: Map<string, SyncErrorCode>
  /** Moved files that `sync` then found equal on both sides: counted as moved, not also as unchanged. */
  movedUnchanged: number
}

/**
 * Adds the work done outside `sync` to a cycle's summary. A failed move is a failure of the cycle
 * once, with its code, unless the cycle's `sync` settled its path itself (its fallback, copy then
 * delete, done or failed on its own line). QA: a move whose fallback copy failed too was two
 * failures of one file; one whose fallback worked was a failure with no error code.
 */
function withExtra(summary: SyncSummary, x: Extra, settled: ReadonlySet<string>): SyncSummary {
  if (x.movesPlanned === 0) return summary
  const add = (counts: Readonly<Record<ActionKind, number>>, n: number) => ({ ...counts, move: counts.move + n })
  let failed = summary.failed
  const errorCodes = { ...summary.errorCodes }
  for (const [path, code] of x.failedMoves) {
    if (settled.has(path)) continue
    failed++
    errorCodes[code] = (errorCodes[code] ?? 0) + 1
  }
  // (A moved file --ignore-existing then left alone is in leftExisting when its listings differ: a
  // move that did not carry its mtime. Counted off unchanged first, where the file most likely is.)
  const offUnchanged = Math.min(x.movedUnchanged, summary.unchanged)
  const leftExisting = (summary.leftExisting ?? 0) - (x.movedUnchanged - offUnchanged)
  return {
    ...summary,
    planned: add(summary.planned, x.movesPlanned),
    done: add(summary.done, x.movesDone),
    unchanged: summary.unchanged - offUnchanged,
    ...(summary.leftExisting !== undefined ? { leftExisting: Math.max(0, leftExisting) } : {}),
    failed,
    errorCodes,
  }
}

/**
 * One continuous-sync cycle over a few changed paths: stats each path on both sides (instead of
 * listing the trees), turns renames into `move`s where the target can move, and runs the result
 * through the one-shot engine (`sync` over two small sorted listings), so decide, plan, transfer,
 * guards, record and throughput are exactly those of `syncflow sync`. Ends with the cycle's `done`.
 *
 * Guards per cycle: a cycle's listing holds only the changed paths, so "the source is empty" is
 * asked of the real source, and a percentage `--max-delete` is measured against `targetFiles`, not
 * the cycle's few listed files (QA 12 #1: it was dropped, and an `rm -rf` of 95% of the source
 * emptied the mirror under `--max-delete 10%`); a count applies as it is.
 */
export function syncPaths(
  source: Backend,
  target: Backend,
  paths: readonly RelPath[],
  options: SyncPathsOptions,
): Observable<SyncEvent> {
  return defer(() => {
    const stated = new Set(paths)
    const unique = [...stated]
    const concurrency = options.statConcurrency ?? 16
    const signal = options.signal
    const statSide = async (backend: Backend, list: readonly RelPath[], into: Side): Promise<void> => {
      const errors = errorsOf(into)
      const statOpts = into === src ? { onNotice: skipNotice } : {}
      await mapConcurrent(list, concurrency, async (path) => {
        try {
          const entry = await backend.stat(path, statOpts)
          if (entry) into.set(path, entry)
          else into.delete(path)
        } catch (err) {
          const error = asSyncError(err, 'stat', path)
          // The failure is the path's even when the backend did not say which (a listing error without one reads as the whole side's).
          errors.push(
            error.path !== undefined
              ? error
              : new SyncError(error.code, error.message, {
                  path,
                  cause: error,
                  ...(error.hint ? { hint: error.hint } : {}),
                }),
          )
          unreadable.add(path)
        }
      })
    }
    const src: Side = new Map()
    const dst: Side = new Map()
    /** Source symlinks `--symlinks skip` left out: the target keeps what it has there and below. */
    const skippedLinks = new KeptPaths()
    /** The notices of source paths kept for a FIFO, socket or device there, replayed by the cycle's listing. */
    const specialNotices = new Map<string, { code: NoticeCode; message: string; path?: string }>()
    const skipNotice = (n: { code: NoticeCode; message: string; path?: string }): void => {
      if (n.code === 'SPECIAL_FILE_SKIPPED' && n.path !== undefined) specialNotices.set(n.path, n)
      skippedLinks.takeNotice(n)
    }
    const srcErrors: SyncError[] = []
    const dstErrors: SyncError[] = []
    /** The listing errors of the side `side` is the entries of. */
    const errorsOf = (side: Side): SyncError[] => (side === src ? srcErrors : dstErrors)
    const unreadable = new Set<RelPath>()
    /** The failed events of moves, held back until the cycle's sync has tried their fallback. */
    const heldMoveFailures: SyncEvent[] = []
    const extra: Extra = {
      movesPlanned: 0,
      movesDone: 0,
      failedMoves: new Map(),
      movedUnchanged: 0,
    }
    const moved: RelPath[] = []

    /** The cycle's paths it left out of its sync (`seen`, `settled`). */
    const leftOut = new Set<RelPath>()
    /** The directories listed whole, on either side or both (see prepare$). */
    const listedDirs = new Set<RelPath>()
    /** Whether the cycle looked at `path` on both sides (see SyncPathsOptions.onExamined). */
    const examined = (path: RelPath): boolean => {
      if (atOrBelow(path, leftOut)) return false
      const errors = [...srcErrors, ...dstErrors]
      // A side that could not be stated or listed at all: nothing on it is known.
      if (errors.some((e) => e.path === undefined || e.path === '')) return false
      const failed = new Set<string>([...unreadable, ...errors.map((e) => e.path as string)])
      for (let p: RelPath | undefined = path; p !== undefined; p = parentRelPath(p)) if (failed.has(p)) return false
      if (stated.has(path)) return true
      for (let p = parentRelPath(path); p !== undefined; p = parentRelPath(p)) if (listedDirs.has(p)) return true
      return false
    }

    const prepare$ = defer(async () => {
      // A directory new on the source comes with its contents, and a directory gone from it takes
      // its contents with it: both are taken whole (listed below), whether or not an event named
      // each file; so is one removed and made again (`replaced`), on both sides. Paths are stated
      // shallowest first, so what lies inside such a directory is never stated one by one (an
      // unpacked archive: a few directories listed, not 10,000 stats).
      const grown = new Set<RelPath>()
      const shrunk = new Set<RelPath>()
      /** Directories on both sides, taken whole on both: made again since the target mirrored them. */
      const remade = new Set<RelPath>()
      const inside = (p: RelPath): boolean => {
        for (let a = parentRelPath(p); a !== undefined; a = parentRelPath(a))
          if (grown.has(a) || shrunk.has(a) || remade.has(a)) return true
        return false
      }
      const levels = new Map<number, RelPath[]>()
      for (const p of unique) {
        const d = p.split('/').length
        const level = levels.get(d)
        if (level) level.push(p)
        else levels.set(d, [p])
      }
      for (const d of [...levels.keys()].sort((a, b) => a - b)) {
        const todo = (levels.get(d) ?? []).filter((p) => !inside(p))
        await Promise.all([statSide(source, todo, src), statSide(target, todo, dst)])
        const changedSince: RelPath[] = []
        for (const p of todo) {
          if (unreadable.has(p)) continue
          if (options.seen?.has(p) && !asSeen(options.seen.get(p), src.get(p))) {
            src.delete(p)
            dst.delete(p)
            changedSince.push(p)
            continue
          }
          // A directory on one side only, or where the other side has a file (a directory replaced
          // by a file, or the reverse): its contents take part whole, so the cycle that replaces it
          // also deletes (or copies) what is inside, instead of failing on a directory not empty.
          const srcDir = src.get(p)?.kind === 'dir'
          const dstDir = dst.get(p)?.kind === 'dir'
          if (srcDir && !dstDir) grown.add(p)
          else if (dstDir && !srcDir) shrunk.add(p)
          else if (srcDir && dstDir && options.replaced?.has(p)) remade.add(p)
        }
        for (const p of changedSince) leftOut.add(p)
        if (changedSince.length > 0) options.onUnsettled?.(changedSince)
      }
      /** Source files found by a listing below that are still being written (see `settled`). */
      const young = new Set<RelPath>()
      const expand = async (backend: Backend, roots: RelPath[], into: Side): Promise<void> => {
        const listed = listSubtrees(backend, roots, {
          ...(options.filter ? { filter: options.filter } : {}),
          ...(into === src ? { onNotice: skipNotice } : {}),
          ...(signal ? { signal } : {}),
          // Once a path: a name a change's stat failed on already (a new file whose name is not UTF-8,
          // stated for its event and listed in its new directory) was reported twice, "2 failed" (QA 25d).
          onError: (err) => {
            const errors = errorsOf(into)
            if (err.path === undefined || !errors.some((e) => e.path === err.path && e.code === err.code))
              errors.push(err)
          },
        })
        for await (const e of listed) {
          if (into.has(e.path)) continue
          // Being written right now (an archive still unpacking): not shipped half-written.
          if (into === src && options.settled && !options.settled(e)) young.add(e.path)
          else into.set(e.path, e)
        }
      }
      // (A grown directory is not on the target, a shrunk one not on the source: one side holds it all.)
      for (const d of [...grown, ...shrunk, ...remade]) listedDirs.add(d)
      await Promise.all([expand(source, [...grown, ...remade], src), expand(target, [...shrunk, ...remade], dst)])
      if (young.size > 0) {
        // Left out of the target side too, with what it holds below (a directory the file
        // replaces): the target's copy in a remade directory was planned as a delete, so a mirror
        // lacked a file the source has until the file settled (longer while its copy failed).
        for (const p of [...dst.keys()]) if (atOrBelow(p, young)) dst.delete(p)
        for (const p of young) leftOut.add(p)
        options.onUnsettled?.([...young])
      }
      options.onExamined?.(examined)
    })

    const moves$ = defer((): Observable<SyncEvent> => {
      const canMove =
        options.mode === 'mirror' &&
        !options.dryRun &&
        (options.detectMoves ?? options.trackRenames ?? true) &&
        supports.move(target)
      if (!canMove) return EMPTY
      const f = options.filter
      const inScope = (e: Entry): boolean => !unreadable.has(e.path) && (!f || f.empty || !f.isExcluded(e.path, e.kind))
      // (Not what the target keeps at a skipped link: a move would take it away.)
      const gone = [...dst.values()].filter((t) => !src.has(t.path) && inScope(t) && !skippedLinks.covers(t.path))
      const added = [...src.values()].filter((s) => !dst.has(s.path) && inScope(s))
      if (gone.length === 0 || added.length === 0) return EMPTY
      const modifyWindowMs =
        options.modifyWindowMs ?? Math.max(source.capabilities.mtimePrecisionMs, target.capabilities.mtimePrecisionMs)
      return from(
        findMoves(gone, added, {
          source,
          target,
          hashAlgo: commonHash(source, target),
          modifyWindowMs,
          ...(signal ? { signal } : {}),
        }),
      ).pipe(
        mergeMap((pairs) => {
          if (pairs.length === 0) return EMPTY
          extra.movesPlanned = pairs.length
          const actions: Action[] = pairs.map((p) => ({
            kind: 'move',
            path: p.to.path,
            from: p.from.path,
            source: p.to,
            target: p.from,
            reason: `renamed from ${p.from.path}`,
          }))
          const planned$ =
            (options.emitPlanned ?? true)
              ? from(actions.map((action): SyncEvent => ({ type: 'planned', ts: Date.now(), action })))
              : EMPTY
          // The directories the moves change a name in get their source mtimes back, as a sync's
          // do: the moves run outside the cycle's sync, and each left its directories with the
          // time of the move (`check` said "touch d (mtime differs)", exit 1, after a rename; QA 28d).
          const dirTimes = new DirectoryTimes(source, target)
          const run$ = from(actions).pipe(
            mergeMap(
              (action) =>
                executeAction(action, {
                  source,
                  target,
                  ...(signal ? { signal } : {}),
                  ...(options.retries !== undefined ? { retries: options.retries } : {}),
                  ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
                  ...(options.scheduler ? { scheduler: options.scheduler } : {}),
                }),
              options.concurrency ?? 8,
            ),
            tap((e) => {
              if (e.type === 'completed') {
                extra.movesDone++
                moved.push(e.action.path)
                dirTimes.saw(e.action)
              }
              if (e.type === 'failed') extra.failedMoves.set(e.path, e.error.code)
            }),
            record(options.state),
            // A failed move is said after the cycle's sync, and only if that sync did not settle its
            // path: said at once, a move across a mount point inside the target (EXDEV) printed
            // "failed … sync each filesystem separately" (--json: a failed event) for a file whose
            // fallback, copy then delete, then worked (QA 29a; the summary already left it out, F11b).
            filter((e) => {
              if (e.type !== 'failed') return true
              heldMoveFailures.push(e)
              return false
            }),
          )
          const after$ = defer(async () => {
            // The old paths' records are stale now; the new paths are stated again so the cycle
            // below sees the moved files (and fixes an mtime the move did not carry, or falls back
            // to copy + delete where a move failed).
            if (options.state && extra.movesDone > 0)
              await options.state.deleteMany(actions.map((a) => a.from as RelPath))
            await statSide(
              target,
              actions.flatMap((a) => [a.path, a.from as RelPath]),
              dst,
            )
            await dirTimes.restore(signal, options.concurrency ?? 8)
          }).pipe(mergeMap(() => EMPTY))
          return concat(planned$, run$, after$)
        }),
      )
    })

    /** hasAnyFile; when it finds none, the listing errors that may hide some are the cycle's. */
    const sourceHasFiles = async (): Promise<boolean> => {
      const met: SyncError[] = []
      const found = await hasAnyFile(source, (err) => met.push(err), signal).catch(() => false)
      if (!found) {
        for (const err of met)
          if (listingErrorHoldsDeletes(err) && !srcErrors.some((e) => e.path === err.path)) srcErrors.push(err)
      }
      return found
    }
    const cycle$ = defer((): Observable<SyncEvent> => {
      const deletes =
        options.mode === 'mirror' &&
        [...dst.keys()].some((p) => !src.has(p) && !unreadable.has(p) && !skippedLinks.covers(p))
      const keep = (side: Side) => [...side.values()].filter((e) => !unreadable.has(e.path))
      const acted = new Set<string>()
      /** Paths with an outcome of their own in this sync (done or failed). */
      const settled = new Set<string>()
      const sourceEntries = keep(src)
      const targetEntries = keep(dst)
      // A source that cannot be listed counts as empty here: its deletes are refused, not run.
      const guard$ = from(deletes && !options.allowEmptySource ? sourceHasFiles() : Promise.resolve(true))
      return guard$.pipe(
        mergeMap((sourceHasFiles) => {
          const { maxDelete, ...rest } = options
          const cycleOptions: SyncOptions = {
            ...rest,
            // A cycle lists only its changed paths: the --files-from paths it lacks are not missing.
            ...(rest.filter?.filesFrom !== undefined ? { filter: withoutFilesFromReport(rest.filter) } : {}),
            ...(maxDelete ? { maxDelete: cycleMaxDelete(maxDelete, options.targetFiles, options.sinceFullPass) } : {}),
            ...(sourceHasFiles ? { allowEmptySource: true } : {}),
          }
          return sync(
            backendView(source, {
              list: (opts) => listing(sourceEntries, srcErrors, opts, skippedLinks, specialNotices),
            }),
            backendView(target, { list: (opts) => listing(targetEntries, dstErrors, opts) }),
            cycleOptions,
          )
        }),
        // The moved files are in this sync too (to fix an mtime the move did not carry): those it
        // leaves alone were counted as unchanged, once too many.
        tap((e) => {
          if (e.type === 'planned' || e.type === 'completed') acted.add(e.action.path)
          else if (e.type === 'failed' || e.type === 'skipped') acted.add(e.path)
          if (e.type === 'completed') settled.add(e.action.path)
          else if (e.type === 'failed') settled.add(e.path)
        }),
        mergeMap((e): Observable<SyncEvent> => {
          if (e.type !== 'done') return of(e)
          extra.movedUnchanged = moved.filter(
            (p) => src.has(p) && dst.has(p) && !unreadable.has(p) && !acted.has(p),
          ).length
          const unsettled = heldMoveFailures.filter((f) => f.type === 'failed' && !settled.has(f.path))
          return from([...unsettled, { ...e, summary: withExtra(e.summary, extra, settled) }])
        }),
      )
    })

    return concat(prepare$.pipe(mergeMap(() => EMPTY)), moves$, cycle$)
  })
}

/**
 * `filter` as it is, but without its `filesFrom` list to report on (see `FilesFromSeen`): every
 * other member, a later one too, reaches the filter itself (review 24 #16).
 */
function withoutFilesFromReport(filter: PathFilter): PathFilter {
  return new Proxy(filter, {
    get(target, prop) {
      if (prop === 'filesFrom') return undefined
      const value: unknown = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
