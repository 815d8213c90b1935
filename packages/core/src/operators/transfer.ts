import {
  concat,
  defer,
  EMPTY,
  from,
  ignoreElements,
  mergeMap,
  Observable,
  type OperatorFunction,
  of,
  tap,
  throwError,
} from 'rxjs'
import type { Backend } from '../backend/backend.js'
import type { MaxDelete } from '../engine/sync-options.js'
import type { SyncError } from '../errors/sync-error.js'
import type { Action } from '../model/action.js'
import { compareUtf8 } from '../model/compare-utf8.js'
import type { Entry } from '../model/entry.js'
import { parentRelPath, type RelPath } from '../model/rel-path.js'
import type { FailedEvent, SkippedEvent, SyncEvent } from '../model/sync-event.js'
import { SpilledActions } from '../util/spilled-actions.js'
import { DirectoryTimes } from './directory-times.js'
import {
  dirModeRefused,
  type ExecuteOptions,
  errorOfFailure,
  executeAction,
  isKindChanged,
  startAction,
} from './execute-action.js'
import { type DeleteGuardVerdict, guardDeletes } from './guard-deletes.js'
import {
  isReplacedLocation,
  RefusalStop,
  replacedStop,
  UNREACHABLE_BEFORE_STOP,
  UnreachableStop,
} from './stop-when-refused.js'

/** Options of `transfer`. */
export interface TransferOptions extends ExecuteOptions {
  /** Actions executed at once. [8] */
  readonly concurrency?: number
  /**
   * Small transfers (files of at most 64 KiB) executed at once, beside the other actions, when more
   * than `concurrency`: for a target that makes writes durable in groups (`Capabilities.groupCommit`),
   * where a small write mostly waits for its group's flush. File data in flight in this lane stays
   * under 64 KiB × this. [none: one lane]
   */
  readonly smallConcurrency?: number
  readonly maxDelete?: MaxDelete
  readonly allowEmptySource?: boolean
  /** What the delete guard's reasons call the two sides (two-way sync's `A` and `B`): see `DeleteGuardInput`. */
  readonly sideNames?: { readonly source: string; readonly target: string }
  /**
   * Run facts the delete guard needs, read once all transfers have finished. Required for deletes:
   * without it, `delete` actions are held back (a `DELETES_SUPPRESSED` notice says why). Count
   * listing errors with `listingErrorHoldsDeletes` (as `sync` does).
   */
  readonly facts?: () => {
    sourceFiles: number
    /** Source entries the filters left out (to tell a source filtered to nothing from an empty one). */
    sourceExcluded?: number
    targetFiles: number
    listingErrors: number
    planFailures: number
    /** Names the listings skipped for an unsafe character (no listing error): a directory holding one cannot go. */
    unsafeNames?: number
  }
  /** Called once per action when it no longer occupies the pipeline (executed, skipped or held). */
  readonly onSettled?: (action: Action) => void
  /** The run's filters exclude something (a kept excluded file may hold a directory). [false] */
  readonly hasExcludes?: boolean
  /** The run plans deletes (mirror); false for copy, which never deletes. [false] */
  readonly deletesPlanned?: boolean
  /**
   * `--ignore-existing`: an entry of another kind in the way of a copy or mkdir (a directory where
   * the source has a file, or the reverse) is what the target has at that name: kept, with what is
   * below it, as rsync keeps it; the deletes that would clear it are dropped and the action skipped.
   * (The planner cannot see it: a file `d` and a directory `d/` are two pairs.) [false]
   */
  readonly keepInTheWay?: boolean
  /**
   * `--update`: a file's write refused (CONFLICT) because someone wrote the target's file after the
   * listing, which is now newer than the source's (beyond `modifyWindowMs`), is left as --update
   * leaves such a file, skipped, not a failure: rsync -u, which looks when it gets to the file, skips
   * it. [undefined: a failure]
   */
  readonly keepNewer?: { readonly modifyWindowMs: number }
}

interface Clash {
  readonly action: Action
  readonly failed: FailedEvent
}

/** The largest file that `smallConcurrency` applies to. */
const SMALL_TRANSFER_BYTES = 64 * 1024

/** A copy or update of a file small enough for the wide lane (see `smallConcurrency`). */
const isSmallTransfer = (a: Action): boolean =>
  (a.kind === 'copy' || a.kind === 'update') && a.source?.kind === 'file' && a.source.size <= SMALL_TRANSFER_BYTES

/** True when deleting `del` removes what stands at or above `path` (a dir where a file goes, a file where a dir goes). */
/**
 * Failures that something in the target's way may cause, retried once a planned delete removed it:
 * CONFLICT (a file where a directory goes, or the reverse) and INVALID_PATH (a symlink where a
 * directory goes: never written through, so what goes below it fails until the symlink is gone).
 */
const IN_THE_WAY: ReadonlySet<string> = new Set(['CONFLICT', 'INVALID_PATH'])

const clearsWay = (del: Action, path: string): boolean => path === del.path || path.startsWith(`${del.path}/`)

/**
 * Executes actions with a concurrency limit. Deletes are held back and run only after every
 * other action has finished, and only when the delete guard allows it (no failure, no listing
 * error, not interrupted, within --max-delete, not an empty source): a failed run never deletes.
 * Files are deleted before directories, deepest directories first.
 *
 * A file that replaces a directory (or the reverse, or a directory that replaces a symlink) first
 * fails, since the old one is in the way; when a planned delete clears the way, the action is
 * retried after the deletes instead of counting as a failure (what rsync does when a type changes).
 */
export function transfer(opts: TransferOptions): OperatorFunction<Action, SyncEvent> {
  const concurrency = opts.concurrency ?? 8
  const settled = (a: Action): void => opts.onSettled?.(a)
  return (actions$) =>
    defer(() => {
      const held: Action[] = []
      const clashes: Clash[] = []
      let failures = 0
      const times = new DirectoryTimes(opts.source, opts.target)
      // Directories are made owner-writable while the run writes into them; their own modes come at
      // the end with their mtimes (as rsync does): a 0555 directory could not receive its files.
      // Not left to the target's own on-demand chmod (the local backend has one, for directories
      // that were there): a mkdir action runs beside the writes into its directory, and its final
      // mode set then pulled write permission from under them (tried: renames failed with EACCES).
      const execOpts: TransferOptions = times.setsModes && !opts.dryRun ? { ...opts, dirModesLater: true } : opts
      const small = opts.smallConcurrency ?? 0
      const refusals = new RefusalStop()
      // A location down (its server killed mid-run): stop after a few transfers in a row, not each.
      const downs = new UnreachableStop(UNREACHABLE_BEFORE_STOP, errorOfFailure)
      const gate = {
        held: () => refusals.held() || downs.held(),
        // (A location down is not probed: each try waits out its retries, and none would be done.)
        probe: () => (downs.held() ? undefined : refusals.probe()),
        // (Each asked only while it holds: a RefusalStop not holding would stop on one refusal.)
        idle: (crowded?: boolean) => {
          const refused = refusals.held() ? refusals.idle(crowded) : undefined
          const down = downs.held() ? downs.idle() : undefined
          return refused ?? down
        },
      }
      // (And in a dry run of a mirror into a target with directories: where one kind replaces
      // another, the run's write fails in the way, waits for the deletes and fails for good when a
      // guard holds them back; the dry run said "would copy" there, QA 27d #8. The kinds sort apart,
      // `f` before `f/`, so the pair does not tell.)
      const dirStats =
        opts.dryRun && (opts.keepInTheWay || (opts.deletesPlanned && opts.target.capabilities.emptyDirs))
          ? new DirStats()
          : undefined
      const deletes: { allowed?: boolean } = {}
      const work$ = runLanes(
        actions$,
        {
          ...(small > concurrency ? { small, isSmall: isSmallTransfer } : {}),
          concurrency,
          gate,
          setAside: settled,
        },
        (action, emit, done, again) => {
          // (One set aside while a probe was awaited gave back its slot of the backlog then.)
          const release = (): void => {
            if (!again) settled(action)
          }
          if (action.kind === 'delete') {
            held.push(action)
            release()
            done()
            return undefined
          }
          if (action.kind === 'skip' || action.kind === 'conflict') {
            release()
            emit(skippedOf(action, action.reason))
            done()
            return undefined
          }
          let over = false
          const run = (): (() => void) =>
            startAction(
              action,
              execOpts,
              {},
              {
                next: (e) => {
                  refusals.saw(e)
                  downs.saw(e)
                  if (e.type === 'failed') {
                    if (IN_THE_WAY.has(e.error.code) && action.kind !== 'touch') {
                      clashes.push({ action, failed: e })
                      return
                    }
                    // (A directory's mode its owner alone may change holds back no delete: QA 31b.)
                    if (e.error.code !== 'ABORTED' && !dirModeRefused(e)) failures++
                  }
                  emit(e)
                },
                complete: () => {
                  over = true
                  release()
                  done()
                },
              },
            )
          let cancel: (() => void) | undefined
          // A dry run writes nothing, so nothing fails in the way: what the run would find there is
          // asked instead (a stat per new directory, in a dry run with --ignore-existing only), so
          // that it does not say it would delete what the real run keeps.
          if (dirStats !== undefined && (action.kind === 'copy' || action.kind === 'mkdir')) {
            inTheWay(opts.target, action, dirStats).then((at) => {
              if (over) return
              if (at === undefined) {
                cancel = run()
                return
              }
              clashes.push({ action, failed: dryRunClash(action) })
              over = true
              release()
              done()
            })
          } else cancel = run()
          // Cancelled while running (the run unsubscribed): no longer in the pipeline either.
          return () => {
            if (over) return
            over = true
            cancel?.()
            release()
          }
        },
      )
      const changes$ = concat(
        work$,
        defer(async () => [
          ...(opts.keepInTheWay ? await keepInTheWay(clashes, held, opts.target) : []),
          ...(opts.keepNewer ? await keepNewer(clashes, opts.source, opts.target, opts.keepNewer.modifyWindowMs) : []),
        ]).pipe(
          mergeMap((kept) => {
            const deferred = clashes.filter((c) => held.some((d) => clearsWay(d, c.action.path)))
            const real = clashes.filter((c) => !deferred.includes(c))
            failures += real.length
            const explained$ = from(real).pipe(mergeMap((c) => explainClash(c, opts), concurrency))
            const retry$ = defer(() =>
              from(deferred).pipe(
                mergeMap(
                  (c) =>
                    opts.signal?.aborted
                      ? of(c.failed)
                      : opts.dryRun && deletes.allowed === false
                        ? from(explainClash(c, opts))
                        : executeAction(c.action, execOpts, { announce: false }).pipe(
                            // Still in the way: the deletes did not run (a guard held them back).
                            mergeMap((e) =>
                              e.type === 'failed' ? explainClash({ action: c.action, failed: e }, opts) : of(e),
                            ),
                          ),
                  1,
                ),
              ),
            )
            return concat(
              from(kept),
              explained$,
              runDeletes(held, failures, opts, concurrency, deferred.length, deletes),
              retry$,
            )
          }),
        ),
      )
      if (opts.dryRun) return changes$
      // Once everything is written, deleted and moved: the directories' mtimes (see DirectoryTimes).
      return concat(
        changes$.pipe(
          tap((e) => {
            if (e.type === 'completed') times.saw(e.action)
          }),
        ),
        defer(async () => {
          await times.restore(opts.signal, concurrency)
        }).pipe(ignoreElements()),
      )
    })
}

/**
 * `keepInTheWay`: takes out of `clashes` those the target really has another kind of entry for (at
 * the path, or a file at a directory above it: a file where the source has a directory `f/`, whose
 * contents clash too), and out of `held` the deletes of that entry and of what is below it; each is
 * then a `skipped`. Any other failure stays one (review 23b B1: a name too long for the target was
 * "skipped", exit 0).
 */
async function keepInTheWay(clashes: Clash[], held: Action[], target: Backend): Promise<SkippedEvent[]> {
  const skipped: SkippedEvent[] = []
  const keptAt: string[] = []
  // (Asked once every write is done: the target's directories no longer change meanwhile.)
  const dirs = new DirStats()
  for (let i = clashes.length - 1; i >= 0; i--) {
    const c = clashes[i]!
    const at = await inTheWay(target, c.action, dirs)
    if (at === undefined) {
      // A new file's copy refused because someone put an entry of its kind there since the listing:
      // the target has it now, and --ignore-existing leaves what the target has, as rsync, which
      // looks when it gets to the file, skips it. It failed the run (exit 1, deletes held; QA 29k).
      if (await appearedSince(target, c)) {
        clashes.splice(i, 1)
        skipped.unshift(skippedOf(c.action, 'the target has it since the listing (--ignore-existing keeps it)'))
      }
      continue
    }
    clashes.splice(i, 1)
    keptAt.push(at)
    skipped.unshift(skippedOf(c.action, 'the target has another kind of entry there (--ignore-existing keeps it)'))
  }
  const within = (path: string, at: string): boolean => path === at || path.startsWith(`${at}/`)
  for (let i = held.length - 1; i >= 0; i--) {
    if (keptAt.some((at) => within(held[i]!.path, at))) held.splice(i, 1)
  }
  return skipped
}

/**
 * `keepNewer` (`--update`): takes out of `clashes` the writes refused (CONFLICT) whose target file
 * is now newer than the source file: written by someone since the listing (QA 29k); each a `skipped`.
 */
async function keepNewer(
  clashes: Clash[],
  source: Backend,
  target: Backend,
  windowMs: number,
): Promise<SkippedEvent[]> {
  const skipped: SkippedEvent[] = []
  for (let i = clashes.length - 1; i >= 0; i--) {
    const { action, failed } = clashes[i]!
    const s = action.source
    if ((action.kind !== 'copy' && action.kind !== 'update') || s?.kind !== 'file' || failed.error.code !== 'CONFLICT')
      continue
    const now = await target.stat(action.path).catch(() => undefined)
    if (now?.kind !== 'file') continue
    // (A source that lists upload times, S3, is asked for the stored mtime, as the planner did.)
    const sourceMs = source.capabilities.listMtime
      ? s.mtimeMs
      : ((await source.stat(action.path).catch(() => undefined))?.mtimeMs ?? s.mtimeMs)
    if (now.mtimeMs - sourceMs <= windowMs) continue
    clashes.splice(i, 1)
    skipped.unshift(skippedOf(action, 'newer on the target since the listing (--update keeps it)'))
  }
  return skipped
}

/** The `skipped` event of `action`, now. */
function skippedOf(action: Action, reason: string): SkippedEvent {
  return { type: 'skipped', ts: Date.now(), path: action.path, reason, action }
}

/** A copy of a new path refused (CONFLICT) where the target now has an entry of the source's kind. */
async function appearedSince(target: Backend, c: Clash): Promise<boolean> {
  const { action, failed } = c
  if (action.kind !== 'copy' || action.target !== undefined || failed.error.code !== 'CONFLICT') return false
  const now = await target.stat(action.path).catch(() => undefined)
  return now !== undefined && now.kind === action.source?.kind
}

/** The failure a dry run stands in for a write an entry is in the way of (see `keepInTheWay`). */
function dryRunClash(action: Action): FailedEvent {
  return {
    type: 'failed',
    ts: Date.now(),
    path: action.path,
    action,
    error: {
      code: 'CONFLICT',
      message: `CONFLICT: ${action.kind} (${action.path}): another kind of entry is in the way`,
    },
    stage: 'transfer',
  }
}

/**
 * Where the target holds another kind of entry than `action` wants: its path (a directory for a
 * file, a file or link for a directory), or a directory above it that is not a directory there;
 * undefined when nothing is in the way (the failure was something else).
 */
async function inTheWay(target: Backend, action: Action, dirs: DirStats): Promise<string | undefined> {
  const want = action.source?.kind
  if (want === undefined) return undefined
  const slash = action.path.lastIndexOf('/')
  if (slash > 0) {
    // The directories above first, each asked once: below one the target lacks, nothing is in the
    // way and the path itself is not asked (a dry run of a new tree on S3 made about four requests
    // per path, review 24 #7).
    const above = await dirs.wayTo(target, action.path.slice(0, slash))
    if (above.kind === 'missing') return undefined
    if (above.kind === 'clash') return above.path
  }
  const path = action.path
  const there = await (want === 'dir' ? dirs.stat(target, path) : target.stat(path).catch(() => undefined))
  return there !== undefined && there.kind !== want ? path : undefined
}

/** Stats of the target's directories, each made once (bounded: forgotten past 10,000). */
class DirStats {
  readonly #stats = new Map<string, Promise<Entry | undefined>>()

  stat(target: Backend, dir: string): Promise<Entry | undefined> {
    let st = this.#stats.get(dir)
    if (st === undefined) {
      if (this.#stats.size >= 10_000) this.#stats.clear()
      st = target.stat(dir as RelPath).catch(() => undefined)
      this.#stats.set(dir, st)
    }
    return st
  }

  /**
   * What stands at `dir` for a path below it: a directory, nothing (nor anything but directories
   * above it), or a file or link in the way (its path). Tagged, never a bare string: a file named
   * `missing` is a path like any other (review 24b B3).
   */
  async wayTo(target: Backend, dir: string): Promise<{ kind: 'dir' | 'missing' } | { kind: 'clash'; path: string }> {
    const there = await this.stat(target, dir)
    if (there !== undefined) return there.kind === 'dir' ? { kind: 'dir' } : { kind: 'clash', path: dir }
    const up = dir.lastIndexOf('/')
    if (up < 0) return { kind: 'missing' }
    const above = await this.wayTo(target, dir.slice(0, up))
    return above.kind === 'dir' ? { kind: 'missing' } : above
  }
}

/**
 * The failure of a clash no planned delete clears. When the target holds another kind of entry at
 * the path (a directory where the source has a file, or the reverse) it was there when the run
 * listed it: the backend's "appeared since it was planned, run again" would send the user round in
 * circles, so the failure says what is in the way and why nothing removes it.
 */
async function explainClash(c: Clash, opts: TransferOptions): Promise<FailedEvent> {
  const want = c.action.source?.kind
  // (A mkdir too: "a file is in the way" alone, on every run of a copy, did not say why nothing
  // replaces it; QA 28c. Its backend's own hint too is replaced by the run's: a hint of a file's
  // failure is shown with -v only, so `syncflow serve`'s "remove or rename it on the server" was
  // never seen, and a copy into grpc:// said nothing of what to do; QA 29e.)
  if (c.failed.error.code !== 'CONFLICT' || want === undefined) return c.failed
  const there = await opts.target.stat(c.action.path).catch(() => undefined)
  if (there === undefined || there.kind === want) return c.failed
  const noun = (k: string): string => (k === 'dir' ? 'directory' : k)
  // The backend's `CODE: op (path): ` kept, as every other failure line has it (QA 22 #17).
  const original = c.failed.error.message
  const end = original.indexOf('): ')
  const prefix = original.startsWith(`${c.failed.error.code}: `) && end >= 0 ? original.slice(0, end + 3) : ''
  return {
    ...c.failed,
    error: {
      ...c.failed.error,
      message: `${prefix}a ${noun(there.kind)} is in the way of the source's ${noun(want)}; nothing was changed`,
      hint: opts.deletesPlanned ? CLASH_HINT_DELETES_HELD : CLASH_HINT_NO_DELETES,
    },
  }
}

/** What to do about a clash a mirror's deletes would have cleared, had they run (said once a run). */
export const CLASH_HINT_DELETES_HELD =
  'What is in the way is replaced only when the run deletes, and this run did not (see the summary): fix what held the deletes back and run again.'

/** What to do about a clash in a mode that never deletes (`copy`; said once a run). */
export const CLASH_HINT_NO_DELETES =
  'This mode never deletes: remove or rename what is in the way on the target, or use sync (a mirror replaces it).'

/** What to do about a directory whose excluded entries (kept) are in the way of a new file (said once a run). */
export const CLASH_HINT_EXCLUDED_KEPT =
  'Remove or rename what is in the way on the target, or let a mirror delete the excluded entries too (sync --delete-excluded).'

/** How many of the file deletes `held` the --max-delete does not count (`MaxDelete.uncounted`). */
function uncountedOf(held: readonly Action[], max: MaxDelete | undefined): number {
  const uncounted = max?.uncounted
  return uncounted === undefined ? 0 : held.filter((a) => uncounted(a.path)).length
}

function runDeletes(
  held: Action[],
  failures: number,
  opts: TransferOptions,
  concurrency: number,
  deferred: number,
  verdictOut: { allowed?: boolean } = {},
): Observable<SyncEvent> {
  if (held.length === 0) return EMPTY
  // Contents before their directory: a path sorts after every directory it is in (the deletes
  // mostly come in listing order, but holdDirDeletes lets a directory's come after its contents').
  const dirs = held.filter((a) => a.target?.kind === 'dir').sort((a, b) => compareUtf8(b.path, a.path))
  const files = held.filter((a) => a.target?.kind !== 'dir')
  // Without the run's facts the guards cannot tell a listing error or an empty source from a real
  // removal, so the deletes are held back, never run blind (QA: a mirror pipeline composed of these
  // operators without `facts` deleted after a listing error, and emptied a target of a missing source).
  const facts = opts.facts?.()
  const verdict: DeleteGuardVerdict = !facts
    ? {
        allowed: false,
        code: 'DELETES_SUPPRESSED',
        reason: `${held.length} delete(s) not run: transfer() was not told the run's facts (its \`facts\` option: files listed on each side, listing errors), without which a listing error or a missing source would read as removed files`,
      }
    : guardDeletes({
        deletes: held.length,
        dirDeletes: dirs.length,
        uncountedDeletes: uncountedOf(files, opts.maxDelete),
        sourceFiles: facts.sourceFiles,
        ...(facts.sourceExcluded !== undefined ? { sourceExcluded: facts.sourceExcluded } : {}),
        targetFiles: facts.targetFiles,
        failures: failures + facts.planFailures,
        listingErrors: facts.listingErrors,
        aborted: opts.signal?.aborted ?? false,
        ...(opts.maxDelete ? { maxDelete: opts.maxDelete } : {}),
        ...(opts.allowEmptySource ? { allowEmptySource: true } : {}),
        ...(opts.sideNames ? { sideNames: opts.sideNames } : {}),
      })
  verdictOut.allowed = verdict.allowed
  if (!verdict.allowed) {
    const why =
      deferred > 0 ? `${verdict.reason}; ${deferred} item(s) waiting for a delete stay as they are` : verdict.reason
    return concat(
      of<SyncEvent>({ type: 'notice', ts: Date.now(), code: verdict.code, message: why }),
      from(held).pipe(mergeMap((action) => of<SyncEvent>(skippedOf(action, verdict.reason)))),
    )
  }
  // A target that answers as another location since (a grpc:// server restarted with another
  // --root while the deletes ran): the rest are not tried, and the run stops as its transfers would
  // (see UnreachableStop), not with one failure per delete left.
  let replaced: SyncError | undefined
  const unlessReplaced = (a: Action): Observable<SyncEvent> =>
    replaced !== undefined
      ? EMPTY
      : executeAction(a, opts).pipe(
          tap((e) => {
            const error = e.type === 'failed' ? errorOfFailure(e) : undefined
            if (error !== undefined && isReplacedLocation(error)) replaced ??= error
          }),
        )
  // Directories holding a file whose delete failed: said so when they cannot go (not "files added").
  const failedUnder = new Set<string>()
  const fileDeletes$ = from(files).pipe(
    mergeMap(unlessReplaced, concurrency),
    tap((e) => {
      if (e.type !== 'failed') return
      for (let dir = parentRelPath(e.path as RelPath); dir !== undefined; dir = parentRelPath(dir)) {
        if (failedUnder.has(dir)) break
        failedUnder.add(dir)
      }
    }),
  )
  const dirDeletes$ = defer(() =>
    from(dirs).pipe(
      mergeMap(
        (action) =>
          unlessReplaced(action).pipe(
            mergeMap((e): Observable<SyncEvent> => {
              // A directory still holding excluded (kept) files, or files that appeared in it since
              // the listing, cannot go: skipped, not failed (the next run sees what is there).
              // (Not one a file of someone's took the place of since the listing: a failure, exit 1.)
              if (e.type === 'failed' && e.error.code === 'CONFLICT' && !isKindChanged(errorOfFailure(e))) {
                return of({
                  type: 'skipped',
                  ts: e.ts,
                  path: e.path,
                  reason: failedUnder.has(action.path)
                    ? 'directory not empty (holds what could not be deleted: see the failures above)'
                    : `directory not empty (holds ${[
                        ...(opts.hasExcludes ? ['excluded files'] : []),
                        ...((facts?.unsafeNames ?? 0) > 0 ? ['a name skipped as unsafe (see the failures)'] : []),
                        'files added since the listing',
                      ].join(', or ')})`,
                  action,
                })
              }
              return of(e)
            }),
          ),
        1,
      ),
    ),
  )
  return concat(
    fileDeletes$,
    dirDeletes$,
    defer(() => {
      const stop = replaced
      return stop !== undefined ? throwError(() => replacedStop(stop)) : EMPTY
    }),
  )
}

/** How `runLanes` runs: `concurrency` at once, and with `small` a second lane for what `isSmall` picks. */
interface Lanes {
  readonly concurrency: number
  readonly small?: number
  readonly isSmall?: (a: Action) => boolean
  /**
   * While `held()`, no action starts (they queue); once nothing runs, `probe()` may pick one action
   * to run all the same (the first queued, or else the first to come, that it takes), and when it
   * picks none (or none comes), `idle()` says whether to go on (undefined) or end with its error
   * (see RefusalStop).
   */
  readonly gate?: {
    held(): boolean
    probe?(): ((a: Action) => boolean) | undefined
    /** `crowded`: the probe found none and could not wait any more (the queued actions could not be set aside). */
    idle(crowded?: boolean): Error | undefined
  }
  /**
   * Called for each queued action set aside (to a temporary file) while a probe waits for one from
   * the listing, PROBE_WAIT_LIMIT of them queued: it no longer takes a slot of the listing's
   * backlog. It is started later with `again` true, before what was queued since.
   */
  readonly setAside?: (a: Action) => void
}

/**
 * Actions queued while held past which they are set aside to a temporary file while a probe waits
 * for the listing to give one from elsewhere: each holds a slot of the listing's backlog (sync.ts)
 * until it is over, and a backlog filled by a refused directory's actions stopped the listing before
 * it reached anything outside it: the probe waited for ever, and so did the run, its job lock held
 * (review 32 H1: read-only keys and a first directory of 9,000 new files). Then the run stopped
 * here, with nothing else tried (s335: a policy that refuses one prefix of 512 files or more, the one
 * that sorts first, stopped a run that rclone finishes); set aside, they cost neither memory nor a
 * request while the listing goes on to the probe: refused too, and the run stops as before, a few
 * requests in all; accepted, and they are started (each its own request, refused one by one, as
 * rclone's are), before what was queued since. Far below the backlog's size.
 */
export const PROBE_WAIT_LIMIT = 512

/**
 * Runs each action of `actions$` through `start` with a concurrency limit per lane (what mergeMap
 * did, with one lane per filter of a connected source): `start` sends the action's events through
 * `emit` and calls `done` once it is over; it returns what cancels it, called on unsubscribe. No
 * Observable, subscriber or subscription per action: thousands of small transfers go through here.
 * Completes once the source has and every action is done; the source's error is passed on at once.
 */
function runLanes(
  actions$: Observable<Action>,
  lanes: Lanes,
  start: (action: Action, emit: (e: SyncEvent) => void, done: () => void, again: boolean) => (() => void) | undefined,
): Observable<SyncEvent> {
  return new Observable<SyncEvent>((subscriber) => {
    interface Lane {
      readonly limit: number
      active: number
      readonly queue: Action[]
      /** Index of the next queued action (the queue is compacted now and then, not shifted). */
      head: number
      /** Starting queued actions: one that is over at once (a skip) does not start the next itself. */
      draining: boolean
    }
    const lane = (limit: number): Lane => ({ limit, active: 0, queue: [], head: 0, draining: false })
    const main = lane(lanes.concurrency)
    const wide = lanes.small !== undefined ? lane(lanes.small) : undefined
    const gate = lanes.gate
    const running = new Set<() => void>()
    let sourceDone = false
    let closed = false
    const emit = (e: SyncEvent): void => {
      if (!closed) subscriber.next(e)
    }
    /** Actions set aside while a probe waited (see PROBE_WAIT_LIMIT): started first once the hold is lifted, in the main lane. */
    let aside: SpilledActions | undefined
    const asideCount = (): number => aside?.size ?? 0
    const checkComplete = (): void => {
      if (closed || !sourceDone || asideCount() > 0) return
      if (main.active > 0 || main.head < main.queue.length) return
      if (wide && (wide.active > 0 || wide.head < wide.queue.length)) return
      closed = true
      subscriber.complete()
    }
    /** Starts the lane's next queued actions while it has room (as mergeMap's buffer). */
    const drain = (lane: Lane): void => {
      if (lane.draining) return
      lane.draining = true
      while (!closed && !gate?.held() && lane.active < lane.limit) {
        if (lane === main && aside !== undefined && aside.size > 0) {
          let again: Action | undefined
          try {
            again = aside.shift()
          } catch (err) {
            // (The temporary file could not be read back: the run cannot go on without what it held.)
            closed = true
            subscriber.error(err)
            break
          }
          if (again !== undefined) run(lane, again, true)
          continue
        }
        if (lane.head >= lane.queue.length) break
        const next = lane.queue[lane.head] as Action
        lane.queue[lane.head++] = undefined as unknown as Action
        if (lane.head > 1024 && lane.head * 2 > lane.queue.length) {
          lane.queue.splice(0, lane.head)
          lane.head = 0
        }
        run(lane, next)
      }
      lane.draining = false
    }
    const run = (lane: Lane, action: Action, again = false): void => {
      lane.active++
      let finished = false
      let cancel: (() => void) | undefined
      const done = (): void => {
        if (finished) return
        finished = true
        if (cancel) running.delete(cancel)
        lane.active--
        if (closed) return
        if (gate?.held()) {
          if (main.active > 0 || (wide?.active ?? 0) > 0) return
          settleHeld()
          return
        }
        drain(lane)
        checkComplete()
      }
      cancel = start(action, emit, done, again)
      if (cancel && !finished) running.add(cancel)
    }
    /** A probe waiting for the source's next action that it takes (none queued yet). */
    let wanted: ((a: Action) => boolean) | undefined
    const queued = (): number => main.queue.length - main.head + (wide ? wide.queue.length - wide.head : 0)
    /**
     * Sets every queued action aside (the probe takes none of them), so that the listing goes on to
     * one it takes. False when the temporary file cannot be written (no space) or is full
     * (SET_ASIDE_MAX_BYTES): the run then stops as it did before probes (`crowded`), and what was
     * set aside is never started.
     */
    const setAsideQueued = (): boolean => {
      try {
        aside ??= new SpilledActions()
        for (const l of wide ? [main, wide] : [main]) {
          for (let i = l.head; i < l.queue.length; i++) {
            const a = l.queue[i] as Action
            aside.push(a)
            lanes.setAside?.(a)
          }
          l.queue.length = 0
          l.head = 0
        }
        return true
      } catch {
        return false
      }
    }
    /** Held, and nothing runs: a probe, else go on or stop as the gate says. */
    const settleHeld = (): void => {
      if (gate === undefined) return
      const want = gate.probe?.()
      let crowded = false
      if (want !== undefined) {
        for (const l of wide ? [main, wide] : [main]) {
          for (let i = l.head; i < l.queue.length; i++) {
            const next = l.queue[i] as Action
            if (!want(next)) continue
            l.queue.splice(i, 1)
            run(l, next)
            return
          }
        }
        // (Still listing: the probe waits for an action from elsewhere, as the rest waits, set
        // aside once many wait: see PROBE_WAIT_LIMIT. Listed to the end: none is left outside.)
        if (!sourceDone) {
          if (queued() < PROBE_WAIT_LIMIT || setAsideQueued()) {
            wanted = want
            return
          }
          crowded = true
        }
      }
      stopOrGoOn(crowded)
    }
    /** Held, no probe to run: stop with the gate's error, or go on. */
    const stopOrGoOn = (crowded: boolean): void => {
      if (gate === undefined) return
      const err = gate.idle(crowded)
      if (err !== undefined) {
        closed = true
        sub?.unsubscribe()
        subscriber.error(err)
        return
      }
      if (wide) drain(wide)
      drain(main)
      checkComplete()
    }
    // (Assigned once subscribed; an action over at once may end the run before that.)
    let sub: { unsubscribe(): void } | undefined
    sub = actions$.subscribe({
      next: (action) => {
        const lane = wide && lanes.isSmall?.(action) ? wide : main
        if (wanted?.(action)) {
          wanted = undefined
          run(lane, action)
        } else if (
          !gate?.held() &&
          lane.active < lane.limit &&
          !lane.draining &&
          // (What was set aside is listed before it: it goes first.)
          !(lane === main && asideCount() > 0)
        )
          run(lane, action)
        else {
          lane.queue.push(action)
          // The listing gave none from elsewhere before it filled the queue: what waits is set aside,
          // and the listing goes on; or, that failing, no more waiting.
          if (wanted !== undefined && queued() >= PROBE_WAIT_LIMIT && !setAsideQueued()) {
            wanted = undefined
            stopOrGoOn(true)
          }
        }
      },
      error: (err: unknown) => {
        closed = true
        subscriber.error(err)
      },
      complete: () => {
        sourceDone = true
        if (wanted !== undefined) {
          // No action came that the probe takes: nothing is left outside the refusals (the gate decides).
          wanted = undefined
          settleHeld()
          return
        }
        checkComplete()
      },
    })
    return () => {
      closed = true
      sub?.unsubscribe()
      for (const cancel of [...running]) cancel()
      running.clear()
      try {
        aside?.close()
      } catch {
        // (Windows: a file left in the temporary directory, holding names only.)
      }
    }
  })
}
