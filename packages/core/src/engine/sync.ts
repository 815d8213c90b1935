import { defaultMaxListeners, setMaxListeners } from 'node:events'
import {
  catchError,
  concat,
  defer,
  EMPTY,
  from,
  identity,
  ignoreElements,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  Subject,
  tap,
  throwError,
} from 'rxjs'
import { type Backend, supports } from '../backend/backend.js'
import { asSyncError, isSyncError, SyncError } from '../errors/sync-error.js'
import type { Action } from '../model/action.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { NoticeCode, SyncEvent, SyncSummary } from '../model/sync-event.js'
import { commonHash, type DecideContext, SYMLINK_NOT_STORED } from '../operators/decide.js'
import { deferWalkedDirs } from '../operators/defer-walked-dirs.js'
import { diff, type EntryPair, failedListingSide, markListingSide } from '../operators/diff.js'
import { ExcludedTrail } from '../operators/excluded-trail.js'
import { listingErrorHoldsDeletes } from '../operators/guard-deletes.js'
import { HardLinkGroups } from '../operators/hard-link-groups.js'
import { listedEntryCheck, openListing } from '../operators/list-side.js'
import { excludeIfPresentProblem, markerRun } from '../operators/marker-run.js'
import { type PlanOutcome, planWindows } from '../operators/plan.js'
import { record } from '../operators/record.js'
import { SourceRemover } from '../operators/remove-sources.js'
import { isRefusalStop } from '../operators/stop-when-refused.js'
import { throughput } from '../operators/throughput.js'
import { renameHash, trackRenames } from '../operators/track-renames.js'
import { transfer } from '../operators/transfer.js'
import { Backlog } from '../util/backlog.js'
import { KeptPaths } from '../util/kept-paths.js'
import { laneConcurrency } from '../util/lane-concurrency.js'
import { linkedAbort } from '../util/linked-abort.js'
import { openFilesCap, openFilesLimit } from '../util/open-files-cap.js'
import { RateLimiter } from '../util/rate-limiter.js'
import { untilAborted } from '../util/until-aborted.js'
import { deltaHook } from './delta-hook.js'
import { FilesFromSeen } from './files-from-seen.js'
import { hardLinksProblem } from './hard-links-problem.js'
import { SummaryBuilder } from './summary-builder.js'
import type { SyncOptions } from './sync-options.js'
import { syncOptionsProblem } from './sync-options-problem.js'

/** Most pairs in flight between the listing and the end of the pipeline (memory bound). */
const BACKLOG = 8192

/**
 * One-way sync of `source` into `target`: list both → diff → plan → transfer (deletes last,
 * guarded) → record, with `stats` throughput events. Emits SyncEvents; the last one is always
 * `done` (fatal problems go into `done.summary.fatal`, never an Observable error). Unsubscribing
 * aborts like `options.signal`: in-flight writes are abandoned atomically by the backends.
 */
export function sync(source: Backend, target: Backend, options: SyncOptions): Observable<SyncEvent> {
  const problem =
    syncOptionsProblem(options, false) ??
    (options.hardLinks === true ? hardLinksProblem(source, target) : undefined) ??
    excludeIfPresentProblem(options.excludeIfPresent, [source, target])
  if (problem !== undefined) return refused(options, problem, false)
  if (options.deleteBefore && options.mode === 'mirror' && !options.dryRun) return deletesFirst(source, target, options)
  return run(source, target, options, false)
}

/**
 * A run refused for its options (a script's mistake): nothing listed or written, one `done` whose
 * `fatal` is the `USAGE` error, as the contract says of every fatal problem (never an Observable
 * error, never a silent run of something else).
 */
function refused(options: Omit<SyncOptions, 'dryRun'>, problem: string, checkOnly: boolean): Observable<SyncEvent> {
  return defer(() => {
    const summary = new SummaryBuilder(
      checkOnly ? 'check' : String(options.mode),
      checkOnly || (options as SyncOptions).dryRun === true,
    )
    summary.fatal = new SyncError('USAGE', problem, { op: checkOnly ? 'check' : 'sync' }).toJSON()
    return of<SyncEvent>({ type: 'done', ts: Date.now(), summary: summary.build() })
  })
}

/** One pass of a run of two (`deleteBefore`): the deletes alone, then the rest with what the first did. */
interface Pass {
  readonly deletesOnly?: boolean
  readonly earlier?: { readonly events: readonly SyncEvent[]; readonly startedAt: bigint }
}

/**
 * `deleteBefore`: a pass that plans and runs the mirror's deletes alone (guarded as ever), then the
 * usual run, which finds them done. What the first pass says is its deletes' events only (its
 * listing's failures and notices are said by the second, which meets them again), and the one
 * `done` at the end counts both. Stopped by the user during the first, the run ends there.
 */
function deletesFirst(source: Backend, target: Backend, options: SyncOptions): Observable<SyncEvent> {
  return defer(() => {
    const startedAt = process.hrtime.bigint()
    const events: SyncEvent[] = []
    let first: SyncSummary | undefined
    // A delete's events are said once it is done: one held back (--max-delete, a listing error, an
    // empty source) or failed is planned, run and reported by the pass after, which meets it again
    // (said here too, it was planned twice, and a failure counted twice, with a `started` never ended).
    const pending = new Map<string, SyncEvent[]>()
    const deletes$ = run(source, target, options, false, { deletesOnly: true }).pipe(
      mergeMap((e): Observable<SyncEvent> => {
        if (e.type === 'done') first = e.summary
        // Its progress is shown as it goes (minutes of deletes on S3): the pass after counts anew.
        if (e.type === 'stats') return of(e)
        if (!('action' in e) || e.action?.kind !== 'delete') return EMPTY
        const path = e.action.path
        const mine = [...(pending.get(path) ?? []), e]
        if (e.type === 'completed') {
          pending.delete(path)
          events.push(...mine)
          return from(mine)
        }
        if (e.type === 'failed' || e.type === 'skipped') pending.delete(path)
        else pending.set(path, mine)
        return EMPTY
      }),
    )
    const rest$ = defer(() =>
      first?.interrupted || options.signal?.aborted
        ? of<SyncEvent>({ type: 'done', ts: Date.now(), summary: first ?? new SummaryBuilder('mirror', false).build() })
        : run(source, target, options, false, { earlier: { events, startedAt } }),
    )
    return concat(deletes$, rest$)
  })
}

/** Compares only: emits `planned` events for every difference and a `done` summary; writes nothing. */
export function check(source: Backend, target: Backend, options: Omit<SyncOptions, 'dryRun'>): Observable<SyncEvent> {
  const problem =
    syncOptionsProblem(options, true) ?? excludeIfPresentProblem(options.excludeIfPresent, [source, target])
  if (problem !== undefined) return refused(options, problem, true)
  return run(source, target, { ...options, dryRun: true }, true)
}

function run(
  source: Backend,
  target: Backend,
  options: SyncOptions,
  checkOnly: boolean,
  pass: Pass = {},
): Observable<SyncEvent> {
  return defer(() => {
    const dryRun = options.dryRun ?? false
    const link = linkedAbort(options.signal)
    const abort = link.controller
    const signal = link.signal

    const summary = new SummaryBuilder(checkOnly ? 'check' : options.mode, dryRun, pass.earlier?.startedAt)
    // -H: which names of the source are one file, as the planner meets them (not for check, nor a
    // pass of deletes alone).
    const hardLinks =
      options.hardLinks === true && !checkOnly && pass.deletesOnly !== true ? new HardLinkGroups() : undefined
    for (const e of pass.earlier?.events ?? []) summary.add(e)
    const deletesOnly = pass.deletesOnly === true
    const side$ = new Subject<SyncEvent>()
    const backlog = new Backlog(BACKLOG)
    signal.addEventListener('abort', () => backlog.drain(), { once: true })
    const facts = {
      sourceFiles: 0,
      sourceExcluded: 0,
      targetFiles: 0,
      listingErrors: 0,
      planFailures: 0,
      unsafeNames: 0,
    }
    /**
     * The source's parts a check could not list (a directory it may not read): a target entry below
     * one is not known to be missing from the source, so check lists no delete for it, as sync
     * holds it back (QA: check said "delete" for every file under a source directory it could not
     * read, where sync deleted nothing). Its listing error is reported, and counted, as it is.
     */
    const unreadSource: string[] = []
    const belowUnread = (path: string): boolean =>
      unreadSource.some((dir) => dir === '' || path === dir || path.startsWith(`${dir}/`))
    /** Source symlinks planned as a skip because the target cannot store them: one notice says how many. */
    let symlinksNotStored = 0
    let listing = true
    const noticed = new Set<NoticeCode>()
    const notice = (code: NoticeCode, message: string, path?: string): void => {
      // Fallback notices (no common hash, …) would repeat per file: say each once per run.
      if (code === 'NO_COMMON_HASH' || code === 'MTIME_UNSUPPORTED') {
        if (noticed.has(code)) return
        noticed.add(code)
      }
      side$.next({ type: 'notice', ts: Date.now(), code, message, ...(path !== undefined ? { path } : {}) })
    }
    const deleteExcluded = options.mode === 'mirror' && (options.deleteExcluded ?? false)
    // --exclude-if-present: the filter then also excludes the directories the listings find marked.
    const marker = markerRun(options.excludeIfPresent, options.filter, {
      deleteExcluded,
      onMarked: options.onMarked,
      onRoot: (side) =>
        notice(
          'ROOT_EXCLUDED',
          `the ${side} root holds an --exclude-if-present marker (${options.excludeIfPresent?.join(', ')}): everything is excluded, so nothing is synced and nothing deleted`,
        ),
    })
    const runFilter = marker?.filter ?? options.filter
    /** A listing error of one side; the event says which (an odd name may be on the target only). */
    const listError =
      (side: 'source' | 'target') =>
      (err: SyncError): void => {
        if (listingErrorHoldsDeletes(err)) {
          facts.listingErrors++
          if (checkOnly && side === 'source') unreadSource.push(err.path ?? '')
        } else facts.unsafeNames++
        side$.next({ type: 'failed', ts: Date.now(), path: err.path ?? '', error: err.toJSON(), stage: 'list', side })
      }
    /** Source symlinks left out on purpose: the target's entries there are kept (see KeptPaths). */
    const keptOnTarget = new KeptPaths()
    const listOpts = {
      onError: listError('source'),
      onNotice: (n: { code: NoticeCode; message: string; path?: string }) => {
        // A special file or symlink left out is in the source all the same: a --files-from list
        // naming it was told it was skipped and that the source lacked it (QA 29a #13).
        if (n.path !== undefined && (n.code === 'SPECIAL_FILE_SKIPPED' || n.code === 'SYMLINK_SKIPPED'))
          filesFrom?.see(n.path)
        if (!keptOnTarget.takeNotice(n)) notice(n.code, n.message, n.path)
      },
      signal,
      ...(runFilter ? { filter: runFilter } : {}),
      ...(hardLinks !== undefined ? { linkIds: true } : {}),
      ...(marker ? marker.listing('source') : {}),
    }
    const hashAlgo = commonHash(source, target)
    // A move compares content where both sides offer a hash (as --checksum): the source's file goes
    // only where the target holds its bytes, and one alike by size and mtime alone is copied over,
    // as a copy whose mtimes differed would be (--size-only stays the user's word; the remover then
    // compares the bytes itself before any delete).
    const compare =
      options.removeSourceFiles === true && !checkOnly && hashAlgo !== undefined && options.compare !== 'size-only'
        ? 'checksum'
        : (options.compare ?? 'size-mtime')
    // The ages of --max-age/--min-age count back from now, once for the whole run.
    const startedMs = Date.now()
    const ctx: DecideContext = {
      source,
      target,
      mode: checkOnly ? options.mode : options.mode,
      compare,
      modifyWindowMs:
        options.modifyWindowMs ?? Math.max(source.capabilities.mtimePrecisionMs, target.capabilities.mtimePrecisionMs),
      hashAlgo,
      notice,
      signal,
      keptOnTarget,
      // (A target with directories fails a write below a file itself: the transfer handles it. Not
      // in a dry run, which writes nothing: there the planner says what the run would fail on, or
      // `copy -n` said "would copy" what the run then failed as a CONFLICT, QA 26h #2.)
      ...(options.mode === 'copy' && !checkOnly && (!supports.mkdir(target) || dryRun)
        ? { filesInTheWay: new KeptPaths() }
        : {}),
      ...(options.ignoreExisting ? { ignoreExisting: true } : {}),
      ...(options.skipNewer ? { skipNewer: true } : {}),
      ...(options.maxSize !== undefined ? { maxSize: options.maxSize } : {}),
      ...(options.minSize !== undefined ? { minSize: options.minSize } : {}),
      ...(options.maxAgeMs !== undefined ? { modifiedAfterMs: startedMs - options.maxAgeMs } : {}),
      ...(options.minAgeMs !== undefined ? { modifiedBeforeMs: startedMs - options.minAgeMs } : {}),
    }
    // Never more than the open-files limit allows (`ulimit -n` of a container or a service).
    const lane = laneConcurrency(source, target, options.concurrency, openFilesCap(openFilesLimit()))
    const concurrency = lane.concurrency
    // One bucket for the whole run (--bwlimit): whole files and delta ops draw from it alike.
    const limiter = options.bwlimit ? new RateLimiter(options.bwlimit) : undefined
    const delta = deltaHook(source, target, options.blockSize, notice, limiter)
    // --remove-source-files: the source's files the target holds once the run is through with them.
    const remover =
      options.removeSourceFiles === true && !checkOnly
        ? new SourceRemover({
            source,
            target,
            dryRun,
            signal,
            concurrency,
            // (--ignore-existing decides "unchanged" by the listing alone, not by the hashes a move's
            // checksum compare would read: the remover compares those itself.)
            comparedContent: compare === 'checksum' && hashAlgo !== undefined && options.ignoreExisting !== true,
            ...(options.removeEmptySourceDirs ? { removeEmptyDirs: true } : {}),
            ...(options.keepSourcePaths?.length ? { keep: new Set(options.keepSourcePaths) } : {}),
          })
        : undefined
    // Every action in flight listens to `signal`, a few times (a read, a write, a delta's streams:
    // each removes its listener when done), and so does every hash the planner awaits: hundreds at
    // once are the design, not a leak (Node warns at 11). (A signal of its own per attempt kept the
    // count down, at ~5 µs and some garbage per file: 5% of an initial sync of 10,000 small files.)
    setMaxListeners(
      Math.max(defaultMaxListeners, 8 * (concurrency + (target.capabilities.groupCommit ?? 0)) + 64),
      signal,
    )

    const preflight$ = defer(async () => {
      // Said here, not while setting up: only once subscribed does side$ reach anyone.
      if (options.concurrency !== undefined && options.concurrency > concurrency) {
        notice(
          'CONCURRENCY_LOWERED',
          `${concurrency} actions at once, not ${options.concurrency}: this process may have ${openFilesLimit()} files open (ulimit -n)`,
        )
      }
      if (options.compare === 'checksum' && hashAlgo === undefined) {
        notice(
          'NO_COMMON_HASH',
          `${source.uri} and ${target.uri} share no hash: --checksum falls back to size and mtime`,
        )
      }
      // A failure here is the source's, as one of its listing would be: a server gone says `(source
      // list)` and `side: 'source'`, not `(list)` (QA 10 #7: a watch's cycles said the latter).
      const exists = await untilAborted(() => source.rootExists(), signal, 'rootExists').catch((err: unknown) => {
        throw markListingSide(asSyncError(err, 'rootExists'), 'source')
      })
      if (!exists) {
        throw markListingSide(
          new SyncError('NOT_FOUND', `source ${source.uri} does not exist`, {
            path: source.uri,
            hint: 'Check the path (a missing source never empties the target).',
          }),
          'source',
        )
      }
    }).pipe(ignoreElements())

    const emitPlanned = options.emitPlanned ?? true
    /** Actions planned so far (check's too): once some are, a listing that fails ends the planning, not the run. */
    let actionsPlanned = 0
    /**
     * A listing's failure that is not transient, met once actions were planned: the run's fatal
     * error, given once what was planned has run (see the catchError after `actionsOf`).
     */
    let listingStop: unknown
    /**
     * Pairs whose backlog slot was freed when `trackRenames` held them back (a delete or a new file
     * waiting for the listings to end: the listing must go on meanwhile), and the actions made of
     * them: neither frees it again.
     */
    const freedPairs = new WeakSet<EntryPair>()
    const freedActions = new WeakSet<Action>()
    // A mirror's renames, paired once the listings are in (see SyncOptions.trackRenames). Not with
    // a backup directory, which is to keep what a delete removes, nor in --delete-before's passes.
    const renameAlgo = renameHash(source, target)
    // By default only where a pair costs less than a copy: not between two backends that must read
    // both files to compare them (two local directories, where reading is about what copying costs).
    const pairsRenames =
      options.trackRenames ?? !(source.capabilities.hashReadsContent && target.capabilities.hashReadsContent)
    const renames =
      options.mode === 'mirror' &&
      pairsRenames &&
      !deletesOnly &&
      !options.deleteBefore &&
      options.backupTo === undefined &&
      renameAlgo !== undefined &&
      supports.move(target)
        ? trackRenames({
            source,
            target,
            hashAlgo: renameAlgo,
            concurrency,
            signal,
            // (The facts are final then: the listings are over and every other window was counted.)
            mayPair: () => facts.listingErrors === 0 && facts.planFailures === 0,
            onHold: (held) => {
              freedPairs.add(held.pair)
              backlog.release()
            },
          })
        : undefined
    /** One window of decided pairs → its actions; the rest is counted and its backlog slots released. */
    const actionsOf = (outcomes: readonly PlanOutcome[]): Observable<Action> => {
      const actions: Action[] = []
      let released = 0
      for (const outcome of outcomes) {
        const { pair, decision: d } = outcome
        // Its backlog slot, freed here unless trackRenames freed it when it held the pair back.
        const free = renames !== undefined && freedPairs.has(pair)
        const slot = free ? 0 : 1
        // Counted here rather than while listing: every listed entry is in exactly one pair.
        if (pair.source !== undefined && pair.source.kind !== 'dir') facts.sourceFiles++
        if (pair.source !== undefined) filesFrom?.see(pair.source.path)
        if (pair.target !== undefined && pair.target.kind !== 'dir') facts.targetFiles++
        if (d.kind === 'action' && deletesOnly && d.action.kind !== 'delete') {
          released += slot // (planned, and counted, by the pass after)
          continue
        }
        if (d.kind === 'action' && checkOnly && d.action.kind === 'delete' && belowUnread(d.action.path)) {
          released += slot
          continue
        }
        if (d.kind === 'action') {
          if (d.action.kind === 'skip' && d.action.reason === SYMLINK_NOT_STORED) symlinksNotStored++
          if (emitPlanned) side$.next({ type: 'planned', ts: Date.now(), action: d.action })
          // check's differences count too: a listing failure after them ends a check as it ends
          // sync --dry-run (a transient one: exit 1 with the differences found, not exit 2).
          actionsPlanned++
          if (checkOnly) released += slot
          else {
            actions.push(d.action)
            if (free) freedActions.add(d.action) // (transfer's onSettled frees the others' slots)
          }
          continue
        }
        released += slot
        if (d.kind === 'unchanged' && !deletesOnly) {
          if (d.leftExisting) summary.leftExisting++
          else if (d.leftNewer) summary.leftNewer++
          else {
            summary.unchanged++
            remover?.unchanged(d.source, d.target)
          }
        }
        if (d.kind === 'error') {
          facts.planFailures++
          side$.next({ type: 'failed', ts: Date.now(), path: pair.path, error: d.error.toJSON(), stage: 'plan' })
        }
      }
      if (released > 0) backlog.release(released)
      return actions.length === 0 ? EMPTY : from(actions)
    }

    const targetListOpts = {
      ...listOpts,
      onError: listError('target'),
      // The target's own symlinks skipped are simply not seen (never replaced nor deleted).
      // A special file still reported (not a mirror's target, or a backend that does not list them)
      // says it is the target's: the user looks for it there, not in the source (QA 22 #5).
      onNotice: (n: { code: NoticeCode; message: string; path?: string }) => {
        if (n.code === 'SPECIAL_FILE_SKIPPED') notice(n.code, `${n.message} (on the target)`, n.path)
        else if (n.code !== 'SYMLINK_SKIPPED') notice(n.code, n.message, n.path)
      },
      keepExcluded: deleteExcluded,
      ...(marker ? marker.listing('target') : {}),
      // Only the target of a run that writes may lose a killed run's temp files (never a source).
      cleanUp: !dryRun,
      // A mirror's target lists its FIFOs, sockets and devices, which the mirror deletes as rsync
      // --delete does (QA 22 #5: left out, they stayed for ever, with their directories, and check
      // said "delete" for ever); in check and a dry run too, so that they say what the run does.
      specialFiles: options.mode === 'mirror',
    }
    const filter = runFilter
    // A mirror keeps the target's excluded entries (without --delete-excluded): the planner learns
    // where they are, so that a directory holding one is not planned away.
    // (With --delete-excluded too where markers are in use: a directory only the target marks is kept.)
    const keepsExcluded = (!deleteExcluded || marker !== undefined) && filter !== undefined && !filter.empty
    const excludedTargets = options.mode === 'mirror' && keepsExcluded ? new ExcludedTrail() : undefined
    // ...and, in either mode, that no new file is written where kept entries are below its name
    // (into S3, beside them). Not for check, which plans nothing it would fail.
    const excludedBelowFiles = keepsExcluded && !checkOnly ? new ExcludedTrail() : undefined
    const onExcludedTarget =
      excludedTargets || excludedBelowFiles
        ? (e: Entry) => {
            excludedTargets?.push(e)
            excludedBelowFiles?.push(e)
          }
        : undefined
    // --files-from: which listed paths the source has, said at the end of a whole listing.
    const filesFrom = filter?.filesFrom !== undefined ? new FilesFromSeen(filter.filesFrom) : undefined
    const walkedOnly =
      filter?.walkedOnly && !filter.empty ? (dir: string) => filter.walkedOnly!(dir as RelPath) : undefined
    // listSide's checks, applied by the merge-join itself (one async step per entry fewer).
    const actions$: Observable<Action> = defer(() =>
      diff(openListing(source, listOpts), openListing(target, targetListOpts), {
        backlog,
        signal,
        admitSource: listedEntryCheck(source, {
          ...listOpts,
          // Dir/ and dir/ from a case-sensitive source would be written into one directory of a
          // target that does not tell them apart: reported instead (DESIGN: never merged silently).
          foldCase: !target.capabilities.caseSensitive,
          // A source filtered to nothing is said to be that by the delete guard, not "empty".
          onExcluded: () => void facts.sourceExcluded++,
        }),
        admitTarget: listedEntryCheck(
          target,
          onExcludedTarget ? { ...targetListOpts, onExcluded: onExcludedTarget } : targetListOpts,
        ),
        // A directory marked on one side excludes the other side's copy too: asked at the join, once
        // both listings are past it (the other side's may have been read before the mark was seen).
        ...(marker
          ? {
              drop: (pair: EntryPair) =>
                marker.drop(pair, (p) => {
                  if (p.source !== undefined) facts.sourceExcluded++
                  if (p.target !== undefined) onExcludedTarget?.(p.target)
                }),
            }
          : {}),
      }),
    ).pipe(
      planWindows({
        ...ctx,
        ...(options.state ? { state: options.state } : {}),
        ...(excludedTargets ? { excludedTargets } : {}),
        ...(excludedBelowFiles ? { excludedBelowFiles } : {}),
        recordUnchanged: !dryRun && !deletesOnly,
        concurrency,
        retry: {
          ...(options.retries !== undefined ? { count: options.retries } : {}),
          ...(options.retryDelayMs !== undefined ? { delayMs: options.retryDelayMs } : {}),
          ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        },
      }),
      // -H: later names of a source file become links to the first (in listing order: before any reordering).
      hardLinks !== undefined ? map((outcomes) => outcomes.map((o) => hardLinks.plan(o))) : identity,
      // Directories kept only for an --include to look inside are created once something in them is.
      walkedOnly ? deferWalkedDirs(walkedOnly) : identity,
      renames ?? identity,
      // Once the last window is planned the totals are final (stats then give an ETA).
      tap({
        complete: () => {
          listing = false
          // Each is a `skip` (listed with -v); a backup that silently lacks what its links reach
          // (a linked directory: a whole tree) is said once, at the end of planning (QA 10 #9).
          // (Not after a listing error: what it did not list is not known to be missing.)
          const unlisted = facts.listingErrors === 0 ? filesFrom?.report() : undefined
          if (unlisted !== undefined) notice('FILES_FROM_MISSING', unlisted)
          if (symlinksNotStored > 0) {
            const n = symlinksNotStored === 1 ? '1 symlink' : `${symlinksNotStored.toLocaleString('en-US')} symlinks`
            notice(
              'SYMLINKS_UNSUPPORTED',
              `${n} ${dryRun ? 'would not be' : 'not'} copied: ${target.uri} cannot store symlinks`,
            )
          }
        },
      }),
      mergeMap(actionsOf),
      // A listing that fails once actions were planned from what it gave (S3: a page after the
      // first) ends the planning, not the run: the actions planned and started finish and are
      // reported, and the guard holds every delete back, as after any listing error (rclone: "not
      // deleting files as there were IO errors"). Thrown on, it cut the transfers in flight, whose
      // events were lost and whose requests were sent again (QA 20 F3). Before any action, it
      // stays the run's fatal error: nothing was run.
      catchError((err: unknown) => {
        const side = failedListingSide(err)
        const error = asSyncError(err, 'list')
        // (Stopped by the user: the run is interrupted, its transfers abandoned, as anywhere else.)
        if (side === undefined || actionsPlanned === 0 || error.code === 'ABORTED') return throwError(() => err)
        facts.listingErrors++
        listing = false
        // Credentials refused, a bucket gone, a broken listing (review 20 #5) are still the run's
        // fatal error (exit 2), but given once what was planned has finished, not by cutting it
        // (rclone too lets its transfers finish after an error of its listing): a transient one (a
        // page lost to the network, a 500) is one failure more (exit 1).
        if (error.code !== 'TRANSIENT') listingStop = err
        side$.next({
          type: 'failed',
          ts: Date.now(),
          path: error.path ?? '',
          error: error.toJSON(),
          stage: 'list',
          side,
        })
        return EMPTY
      }),
    )

    const pipeline$ = concat(preflight$, actions$).pipe(
      transfer({
        source,
        target,
        dryRun,
        concurrency,
        deletesPlanned: options.mode === 'mirror',
        ...(options.ignoreExisting ? { keepInTheWay: true } : {}),
        ...(options.skipNewer ? { keepNewer: { modifyWindowMs: ctx.modifyWindowMs } } : {}),
        hasExcludes: runFilter !== undefined && !runFilter.empty,
        ...(lane.smallConcurrency !== undefined ? { smallConcurrency: lane.smallConcurrency } : {}),
        signal,
        ...(options.retries !== undefined ? { retries: options.retries } : {}),
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        ...(options.scheduler ? { scheduler: options.scheduler } : {}),
        ...(limiter ? { limiter } : {}),
        ...(options.maxDelete ? { maxDelete: options.maxDelete } : {}),
        ...(options.allowEmptySource ? { allowEmptySource: true } : {}),
        ...(delta ? { delta } : {}),
        ...(options.checkUpdated === false ? { checkUpdated: false } : {}),
        ...(options.backupTo ? { backup: options.backupTo } : {}),
        ...(options.linkDest !== undefined && options.linkDest.length > 0
          ? {
              linkDest: {
                backends: options.linkDest,
                modifyWindowMs: ctx.modifyWindowMs,
                ...(compare === 'checksum' ? { checksum: true } : {}),
              },
            }
          : {}),
        ...(hardLinks !== undefined ? { hardLinks } : {}),
        ...(options.removeSourceFiles === true && !dryRun ? { moveByLink: true } : {}),
        // (Linked, the source's kept file and the target's copy were one file: an edit of one the other's.)
        ...(options.removeSourceFiles === true && options.keepSourcePaths?.length
          ? { keepInSource: new Set(options.keepSourcePaths) }
          : {}),
        // Where an upload a killed run began is found again (see WriteOptions.resume).
        ...(options.state && !dryRun ? { resume: options.state } : {}),
        ...(options.backupTo && options.backupSuffix
          ? {
              backupSuffix: options.backupSuffix,
              backupSuffixKeepsExtension: options.backupSuffixKeepsExtension === true,
            }
          : {}),
        facts: () => facts,
        onSettled: (a) => {
          if (!freedActions.has(a)) backlog.release()
        },
      }),
      record(dryRun ? undefined : options.state),
      catchError((err: unknown) => {
        const error = asSyncError(err, 'sync')
        if (error.code === 'ABORTED') {
          summary.interrupted = true
          return EMPTY
        }
        summary.fatal = error.toJSON()
        const side = failedListingSide(err)
        return of<SyncEvent>({
          type: 'failed',
          ts: Date.now(),
          path: error.path ?? '',
          error: error.toJSON(),
          stage: isRefusalStop(err) ? 'transfer' : 'list',
          ...(side !== undefined ? { side } : {}),
        })
      }),
      remover ? remover.operator() : identity,
      tap({ finalize: () => side$.complete() }),
    )

    return concat(
      merge(side$, pipeline$).pipe(
        throughput({
          ...(options.statsIntervalMs !== undefined ? { intervalMs: options.statsIntervalMs } : {}),
          ...(options.scheduler ? { scheduler: options.scheduler } : {}),
          listing: () => listing,
        }),
        tap((e) => summary.add(e)),
      ),
      defer(() => {
        // A run stopped for a reason of its own, given as the signal's (a shared store's job lock
        // lost: LOCKED), is stopped by that error (exit 2, said with its hint), not interrupted:
        // "Interrupted: what finished is saved" (exit 130) was neither why nor true (QA 26).
        const reason: unknown = options.signal?.reason
        if (signal.aborted && isSyncError(reason) && reason.code !== 'ABORTED') {
          summary.interrupted = false
          summary.fatal ??= reason.toJSON()
        } else if (signal.aborted) summary.interrupted = true
        // (Its failed event went out when it happened: the summary's fatal says it stopped the run.
        // A stop met while the planned actions ran, the AUTH stop after refused transfers, stays.)
        if (listingStop !== undefined) summary.fatal ??= asSyncError(listingStop, 'list').toJSON()
        link.unlink()
        return of<SyncEvent>({ type: 'done', ts: Date.now(), summary: summary.build() })
      }),
    ).pipe(
      tap({
        unsubscribe: () => abort.abort(),
      }),
    )
  })
}
