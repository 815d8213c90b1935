import { bufferCount, concatMap, identity, mergeMap, type OperatorFunction, pipe } from 'rxjs'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { RelPath } from '../model/rel-path.js'
import type { StateRecord, StateStore } from '../state/state-store.js'
import { mapConcurrent } from '../util/map-concurrent.js'
import {
  agesNeedStat,
  type DecideContext,
  type Decision,
  decide,
  decideNow,
  fingerprintOf,
  recordable,
  recordMatches,
  sourceMtimeForAges,
  wantsState,
} from './decide.js'
import type { EntryPair } from './diff.js'
import type { ExcludedTrail } from './excluded-trail.js'
import { holdCopiesBesideDirs } from './hold-copies-beside-dirs.js'
import { holdDirDeletes } from './hold-dir-deletes.js'
import { type RetryOptions, retryTransientCall } from './retry-transient.js'
import { vanishedSourceOr } from './vanished-or.js'

/** Options of `plan`. */
export interface PlanOptions extends DecideContext {
  /** Consulted (in batches) for pairs whose decision would otherwise need remote I/O. */
  readonly state?: StateStore
  /** Record pairs found unchanged by comparison, so the next run decides them from state. [true] */
  readonly recordUnchanged?: boolean
  /** Pairs decided per state lookup. [256] */
  readonly windowSize?: number
  /** Decisions that need I/O (stat, hash) run at once within a window. [8] */
  readonly concurrency?: number
  /**
   * The target's excluded entries (kept), fed by its listing: a directory holding one is not
   * planned away (see holdDirDeletes). [none]
   */
  readonly excludedTargets?: ExcludedTrail
  /**
   * The target's excluded entries (kept) again, for `holdCopiesBesideDirs`: a new file is not
   * written where they are below its name. [none]
   */
  readonly excludedBelowFiles?: ExcludedTrail
  /**
   * How a decision's stat or hash that fails TRANSIENT is made again: as a transfer's requests are
   * (QA 27e A: under a throttling S3, 2.7% of `--checksum` items failed at their HEAD, never
   * retried, while their transfers would have been). A server that cannot be reached is not
   * waited for here, once per pending decision: those fail at once, as before. [retryTransient's defaults]
   */
  readonly retry?: RetryOptions
}

/** A pair with its decision (or the error that prevented one). */
export type PlanOutcome =
  | { readonly pair: EntryPair; readonly decision: Decision }
  | { readonly pair: EntryPair; readonly decision: { readonly kind: 'error'; readonly error: SyncError } }

/**
 * Decides every pair. Pairs are taken in windows so that the state store is read with one
 * `getMany` per window, never one round trip per file; only pairs that need it are looked up
 * (see `wantsState`), so a local-to-local run never waits on the store. Pairs found unchanged by
 * comparison are recorded (one `setMany` per window) unless `recordUnchanged` is false (dry run).
 */
export function plan(opts: PlanOptions): OperatorFunction<EntryPair, PlanOutcome> {
  return pipe(
    planWindows(opts),
    mergeMap((outcomes) => outcomes),
  )
}

/**
 * `plan`, emitting each window's outcomes as one array (in pair order): the engine handles a window
 * in one step instead of one Observable hop per pair. Pairs that the listings decide (most of
 * them) are decided by a plain call; only those that need a stat or a hash wait for I/O, at most
 * `concurrency` at once.
 */
export function planWindows(opts: PlanOptions): OperatorFunction<EntryPair, PlanOutcome[]> {
  const windowSize = opts.windowSize ?? 256
  const concurrency = opts.concurrency ?? 8
  const recordUnchanged = opts.recordUnchanged ?? true
  const retry = { ...opts.retry, notUnreachable: true }
  return (pairs$) =>
    pairs$.pipe(
      bufferCount(windowSize),
      concatMap(async (batch): Promise<PlanOutcome[]> => {
        let records: Map<RelPath, StateRecord | undefined> | undefined
        if (opts.state) {
          const need: RelPath[] = []
          for (const p of batch) if (wantsState(p, opts)) need.push(p.path)
          if (need.length > 0) {
            const got = await opts.state.getMany(need)
            records = new Map()
            for (const [i, p] of need.entries()) records.set(p, got[i])
          }
        }
        // --max-age/--min-age from a source that lists upload times (S3): the stored mtimes first,
        // a stat each, so that the ages are those of the files, not of their uploads. Not for a
        // pair its state record says is unchanged since it was in sync: whatever its age, nothing
        // is done with it (kept as left out, or unchanged), so a re-run stays one LIST.
        const mtimes = new Map<number, number>()
        const statErrors = new Map<number, SyncError>()
        const toStat: number[] = []
        for (let i = 0; i < batch.length; i++) {
          const { source, target, path } = batch[i] as EntryPair
          if (!agesNeedStat(source, opts)) continue
          const record = records?.get(path)
          if (record && source && target && recordMatches(record, source, target, opts)) continue
          toStat.push(i)
        }
        if (toStat.length > 0) {
          await mapConcurrent(toStat, concurrency, async (i): Promise<void> => {
            const pair = batch[i] as EntryPair
            try {
              mtimes.set(i, await retryTransientCall(() => sourceMtimeForAges(pair.source!, opts), retry, opts.signal))
            } catch (err) {
              statErrors.set(i, asSyncError(err, 'plan', pair.path))
            }
          })
        }
        const outcomes = new Array<PlanOutcome>(batch.length)
        const later: number[] = []
        for (let i = 0; i < batch.length; i++) {
          const pair = batch[i] as EntryPair
          const statError = statErrors.get(i)
          if (statError !== undefined) {
            outcomes[i] = { pair, decision: { kind: 'error', error: statError } }
            continue
          }
          try {
            // A pair has an entry on one side at least. One with neither is no pair: a script that
            // gave plan a listing's Entries (listSide without diff) had each decided "nothing to
            // do", and copied nothing without a word (QA 30c).
            if (pair.source === undefined && pair.target === undefined) throw notAPair(pair)
            const now = decideNow(pair, records?.get(pair.path), opts, mtimes.get(i))
            if (now === undefined) later.push(i)
            else outcomes[i] = { pair, decision: now }
          } catch (err) {
            outcomes[i] = { pair, decision: { kind: 'error', error: asSyncError(err, 'plan', pair.path) } }
          }
        }
        if (later.length > 0) {
          await mapConcurrent(later, concurrency, async (i): Promise<void> => {
            const pair = batch[i] as EntryPair
            try {
              // (A decision only reads, so making it again is safe.)
              const decision = await retryTransientCall(
                () => decide(pair, records?.get(pair.path), opts, mtimes.get(i)),
                retry,
                opts.signal,
              )
              outcomes[i] = { pair, decision }
            } catch (err) {
              // A source file deleted since its listing (a stat or hash of it failed): said so.
              const said =
                pair.source?.kind === 'file'
                  ? await vanishedSourceOr(err, pair.path, opts.source, 'nothing was compared')
                  : err
              outcomes[i] = { pair, decision: { kind: 'error', error: asSyncError(said, 'plan', pair.path) } }
            }
          })
        }
        if (opts.state && recordUnchanged && records !== undefined) {
          const fresh: [RelPath, StateRecord][] = []
          for (const { pair, decision } of outcomes) {
            if (decision.kind !== 'unchanged' || !records.has(pair.path)) continue
            const rec = records.get(pair.path)
            // Against the entries as listed (a stat has the stored mtime, not the upload time a
            // record is stamped against): one found unchanged after a re-upload is stamped again,
            // so that the next run trusts it without a stat (QA 16 F1).
            if (rec && pair.source && pair.target && recordMatches(rec, pair.source, pair.target, opts)) continue
            // Not a pair whose mtimes were not compared, or agree only under a wide window.
            if (!recordable(decision.source, decision.target, opts)) continue
            fresh.push([
              pair.path,
              { source: fingerprintOf(decision.source), target: fingerprintOf(decision.target), syncedAt: Date.now() },
            ])
          }
          if (fresh.length > 0) await opts.state.setMany(fresh)
        }
        return outcomes
      }),
      // A source that lists no directories has one wherever it lists something inside it; a target
      // directory holding excluded entries stays.
      opts.mode === 'mirror' && (!opts.source.capabilities.emptyDirs || opts.excludedTargets)
        ? holdDirDeletes(opts.excludedTargets)
        : identity,
      // A copy into a target without directories (set up with filesInTheWay, its other half): a
      // new file where the target has keys below its name is not written beside them; in any mode,
      // nor where the target keeps excluded entries below its name.
      opts.filesInTheWay !== undefined || opts.excludedBelowFiles !== undefined
        ? holdCopiesBesideDirs({
            ignoreExisting: opts.ignoreExisting === true,
            listed: opts.filesInTheWay !== undefined,
            ...(opts.excludedBelowFiles ? { excluded: opts.excludedBelowFiles } : {}),
          })
        : identity,
    )
}

/** The error of a value `plan` was given that is not an `EntryPair` (see `planWindows`). */
function notAPair(value: EntryPair): SyncError {
  return new SyncError('USAGE', 'plan was given something that is not an EntryPair (no source or target entry)', {
    path: String((value as { path?: unknown }).path ?? ''),
    hint: "plan takes diff's pairs: diff(listSide(source, …), listSide(target, …)).pipe(plan(…))",
  })
}
