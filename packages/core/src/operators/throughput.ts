import {
  asyncScheduler,
  concat,
  defer,
  interval,
  type MonoTypeOperatorFunction,
  map,
  merge,
  of,
  type SchedulerLike,
  Subject,
  takeUntil,
  tap,
} from 'rxjs'
import { isTransferAction, transferBytesOf } from '../model/action.js'
import type { StatsEvent, SyncEvent } from '../model/sync-event.js'
import { isRunStop } from './stop-when-refused.js'

/** Options of `throughput`. */
export interface ThroughputOptions {
  /** Interval of `stats` events; capped at 1000 ms. [1000] */
  readonly intervalMs?: number
  /** Rates are averaged over this window. [5000] */
  readonly windowMs?: number
  readonly scheduler?: SchedulerLike
  /** True while the listing still runs (totals still growing, no ETA yet). */
  readonly listing?: () => boolean
}

/**
 * Accumulates transfer progress from SyncEvents and snapshots it. A pure function of the events
 * seen (plus the clock), so the TUI, metrics and tests can use it outside the operator too.
 */
export class ThroughputMeter {
  filesPlanned = 0
  bytesPlanned = 0
  filesDone = 0
  bytesFinished = 0
  failed = 0
  inFlight = 0
  readonly #partial = new Map<string, number>()
  readonly #samples: { t: number; bytes: number; files: number }[] = []
  /**
   * Bytes read or written so far, never less: the rate is taken from it, not from `bytesDone`,
   * which drops the part of a transfer that failed (QA 7 #11: a negative bytes/s after a failure).
   */
  #moved = 0
  /** Planned bytes of transfers that failed: not remaining, for the ETA. */
  #bytesGivenUp = 0
  readonly #start: number

  constructor(
    now: number,
    readonly windowMs = 5000,
  ) {
    this.#start = now
    this.#samples.push({ t: now, bytes: 0, files: 0 })
  }

  /** Bytes done including the in-flight part of running transfers. */
  get bytesDone(): number {
    let partial = 0
    for (const b of this.#partial.values()) partial += b
    return this.bytesFinished + partial
  }

  add(e: SyncEvent): void {
    switch (e.type) {
      case 'planned':
        this.bytesPlanned += transferBytesOf(e.action)
        if (e.action.kind !== 'skip') this.filesPlanned++
        break
      case 'started':
        this.inFlight++
        break
      case 'progress':
        this.#moved += Math.max(0, e.bytes - (this.#partial.get(e.path) ?? 0))
        this.#partial.set(e.path, e.bytes)
        break
      case 'completed':
        this.inFlight = Math.max(0, this.inFlight - 1)
        this.filesDone++
        {
          // Progress against bytesPlanned counts a transfer's file to its size (as its progress
          // events did), also when a delta sent far less (`bytes`, what the summary counts).
          const counted = isTransferAction(e.action.kind) && !e.dryRun ? transferBytesOf(e.action) : e.bytes
          this.bytesFinished += counted
          // (A file hard-linked from --link-dest moved none: not in the rate, which the ETA reads.)
          if (!e.linked) this.#moved += Math.max(0, counted - (this.#partial.get(e.action.path) ?? 0))
        }
        this.#partial.delete(e.action.path)
        break
      case 'failed':
        if (isRunStop(e)) break // the run's fatal error, not an item (see SummaryBuilder)
        if (e.stage === 'transfer' || e.stage === 'delete') {
          this.inFlight = Math.max(0, this.inFlight - 1)
          this.#partial.delete(e.path)
          // Its bytes are no longer to come: no time is left for them (QA 8 #13).
          if (e.action) this.#bytesGivenUp += transferBytesOf(e.action)
        }
        // Interrupted (Ctrl-C) is no failure, as in the summary: the item is still to do, so queued.
        if (e.error.code === 'ABORTED') break
        this.failed++
        break
      default:
    }
  }

  snapshot(now: number, listing: boolean): StatsEvent {
    const bytesDone = this.bytesDone
    this.#samples.push({ t: now, bytes: this.#moved, files: this.filesDone })
    while (this.#samples.length > 2 && (this.#samples[1]?.t ?? now) <= now - this.windowMs) this.#samples.shift()
    const first = this.#samples[0] ?? { t: now, bytes: 0, files: 0 }
    const dt = (now - first.t) / 1000
    const bytesPerSec = dt > 0 ? (this.#moved - first.bytes) / dt : 0
    const filesPerSec = dt > 0 ? (this.filesDone - first.files) / dt : 0
    const remaining = this.bytesPlanned - bytesDone - this.#bytesGivenUp
    const etaMs = !listing && bytesPerSec > 0 ? Math.max(0, (remaining / bytesPerSec) * 1000) : undefined
    return {
      type: 'stats',
      ts: Date.now(),
      elapsedMs: now - this.#start,
      filesPlanned: this.filesPlanned,
      filesDone: this.filesDone,
      bytesPlanned: this.bytesPlanned,
      bytesDone,
      bytesPerSec,
      filesPerSec,
      inFlight: this.inFlight,
      queued: Math.max(0, this.filesPlanned - this.filesDone - this.failed - this.inFlight),
      failed: this.failed,
      listing,
      ...(etaMs !== undefined ? { etaMs } : {}),
    }
  }
}

/**
 * Adds a `stats` event at least once a second (and a last one at the end) with bytes/s and
 * files/s over a sliding window, files and bytes done of planned, in-flight and queued counts.
 */
export function throughput(opts: ThroughputOptions = {}): MonoTypeOperatorFunction<SyncEvent> {
  const scheduler = opts.scheduler ?? asyncScheduler
  const intervalMs = Math.min(1000, opts.intervalMs ?? 1000)
  const listing = opts.listing ?? (() => false)
  return (events$) =>
    defer(() => {
      const meter = new ThroughputMeter(scheduler.now(), opts.windowMs)
      const end$ = new Subject<void>()
      const main$ = events$.pipe(tap({ next: (e) => meter.add(e), complete: () => end$.next() }))
      const ticks$ = interval(intervalMs, scheduler).pipe(
        map(() => meter.snapshot(scheduler.now(), listing())),
        takeUntil(end$),
      )
      // ticks first: it emits nothing synchronously, so no event of a synchronous source is missed.
      return concat(
        merge(ticks$, main$),
        defer(() => of(meter.snapshot(scheduler.now(), false))),
      )
    })
}
