import {
  type ActionKind,
  type FailedEvent,
  isRunStop,
  type SyncEvent,
  type SyncSummary,
  transferBytesOf,
} from '@syncflow/core'
import { completedProgressBytes } from '../output/completed-progress-bytes.js'
import { isVanishedCopy, withoutVanished } from '../reporters/vanished-copies.js'
import { summaryText } from './summary-text.js'

/** A transfer (or other action) executing now. */
export interface TransferView {
  readonly path: string
  readonly kind: ActionKind
  readonly bytes: number
  /** Size of the file being written (0 for deletes, moves, …). */
  readonly total: number
  readonly startedAt: number
  /** It reported progress: its data is moving (only files of 1 MiB and more report it). */
  readonly moving?: boolean
}

/** One failure, as the errors list shows it. */
export interface ErrorView {
  /** 1 for the first failure of the run, 2 for the next… (a stable key). */
  readonly id: number
  readonly ts: number
  readonly path: string
  readonly code: string
  readonly message: string
  /** What to try next, when the error says. */
  readonly hint?: string
  readonly stage: FailedEvent['stage']
  /** For a listing failure: whose listing it was, when known. */
  readonly side?: FailedEvent['side']
}

/** Counts of what was done, over the whole job (all cycles of a watch). */
export interface CountsView {
  readonly copied: number
  readonly updated: number
  readonly deleted: number
  readonly moved: number
  /** touch and mkdir: metadata only. */
  readonly other: number
  readonly skipped: number
  readonly failed: number
  readonly unchanged: number
}

/**
 * One finished cycle of a continuous job (a `done` event), printed once above the live screen. Only
 * the latest (`maxCycles`) are kept: `n` says which are new to a renderer (see `useCycleBatch`).
 */
export interface CycleView {
  readonly n: number
  readonly ts: number
  /** `2 copied, 1 deleted, 1.5 KiB in 0.2s`. */
  readonly text: string
  readonly failed: boolean
}

/** Everything the screen shows, as plain data: a snapshot of `SyncViewState`. */
export interface SyncView {
  /** `starting`: nothing seen yet; `running`: a sync (or cycle) is working; `idle`: a watch waits for changes; `done`: ended. */
  readonly phase: 'starting' | 'running' | 'idle' | 'done'
  readonly listing: boolean
  readonly filesPlanned: number
  readonly filesDone: number
  readonly bytesPlanned: number
  readonly bytesDone: number
  /** Actions planned and not started yet. */
  readonly queued: number
  readonly counts: CountsView
  /** Oldest first; at most `maxTransfers`; not those `held`. */
  readonly transfers: readonly TransferView[]
  /** Actions executing now (started, not `held`). */
  readonly inFlight: number
  /**
   * Actions the engine started while the run is paused, held by the pause before any I/O (the
   * pause gate holds every call that reads or writes): waiting, not in flight. 0 while running.
   */
  readonly held: number
  /** Newest last; at most `maxErrors`. */
  readonly errors: readonly ErrorView[]
  readonly errorCount: number
  /** Latest notices (fallbacks, suppressed deletes), newest last. */
  readonly notices: readonly { readonly code: string; readonly message: string }[]
  /**
   * The latest finished cycles (watch), newest last: at most `maxCycles`, so that a long watch
   * holds a bounded list. The same array while no cycle ended.
   */
  readonly cycles: readonly CycleView[]
  /** The final summary, once the job has ended. */
  readonly final?: SyncSummary
  /** A dry run: what is counted "done" was only planned (its actions said, none executed). */
  readonly dryRun: boolean
}

/** Limits of what a `SyncViewState` keeps. */
export interface SyncViewLimits {
  readonly maxTransfers?: number
  readonly maxErrors?: number
  readonly maxNotices?: number
  /**
   * Finished cycles kept for the screen. A renderer needs only those ended since its last frame
   * (one every 0.5 s at most, a cycle takes longer): the rest are printed already.
   */
  readonly maxCycles?: number
}

const isMetadata = (k: ActionKind): boolean => k === 'touch' || k === 'mkdir'

/**
 * Folds SyncEvents into what the UI shows. Cheap per event (the hot path of a 10k-file sync runs
 * through it) and independent of time and rendering, so it is tested without a terminal. A watch
 * job's events (several cycles, each ending with `done`, then the job's `done` with mode `watch`)
 * add up; a one-shot sync ends at its `done`.
 */
/** Failing paths a continuous job's view remembers at most. */
const FAILING_MAX = 10_000

/** What a failure that is no one path's (a side's listing or watch) is remembered as failing by. */
const SIDE_KEY = '\u0000'

/**
 * The key of a failure in a continuous job's failing set: its path, or for one that is no path's
 * its side and message: the failures of a side are told apart, as the errors list tells them (QA
 * 11 #8: a server gone away gave `failed 1` beside `Errors (2)`, its lost watch and its refused
 * connection both keyed by the empty path).
 */
function failingKey(e: FailedEvent): string {
  return e.path === '' ? `${SIDE_KEY}${e.side ?? e.stage} ${e.error.message}` : e.path
}

export class SyncViewState {
  #phase: SyncView['phase'] = 'starting'
  #listing = true
  #filesPlanned = 0
  #filesDone = 0
  #bytesPlanned = 0
  #bytesFinished = 0
  #queued = 0
  readonly #counts = { copied: 0, updated: 0, deleted: 0, moved: 0, other: 0, skipped: 0, failed: 0, unchanged: 0 }
  readonly #inFlight = new Map<string, TransferView>()
  /**
   * A continuous job's paths whose last attempt failed: its `failed` count is these, not every
   * attempt (a file retried five times was "failed 5", and 40 unreadable files "failed 200", long
   * after they were copied, QA). Bounded like the error list.
   */
  readonly #failing = new Set<string>()
  /** A continuous job's vanished copies in the cycle under way (see `isVanishedCopy`). */
  #cycleVanished = 0
  #errors: ErrorView[] = []
  #errorCount = 0
  #notices: { code: string; message: string }[] = []
  readonly #cycles: CycleView[] = []
  /** Cycles ended so far (the kept ones are the last of them). */
  #cycleCount = 0
  #final: SyncSummary | undefined
  #dryRun = false
  #version = 0
  readonly #limits: Required<SyncViewLimits>

  constructor(
    /** True for a continuous job: a `done` of a cycle means idle, not the end. */
    readonly continuous: boolean,
    limits: SyncViewLimits = {},
  ) {
    this.#limits = { maxTransfers: 64, maxErrors: 100, maxNotices: 5, maxCycles: 100, ...limits }
  }

  /** Grows with every event that changed something (lets a renderer skip identical frames). */
  get version(): number {
    return this.#version
  }

  add(e: SyncEvent): void {
    this.#version++
    switch (e.type) {
      case 'planned':
        this.#begin()
        if (e.action.kind === 'skip' || e.action.kind === 'conflict') break
        this.#filesPlanned++
        this.#queued++
        this.#bytesPlanned += transferBytesOf(e.action)
        break
      case 'started':
        this.#begin()
        this.#queued = Math.max(0, this.#queued - 1)
        this.#inFlight.set(e.action.path, {
          path: e.action.path,
          kind: e.action.kind,
          bytes: 0,
          total: e.action.kind === 'copy' || e.action.kind === 'update' ? (e.action.source?.size ?? 0) : 0,
          startedAt: e.ts,
        })
        break
      case 'progress': {
        const t = this.#inFlight.get(e.path)
        if (t) this.#inFlight.set(e.path, { ...t, bytes: e.bytes, moving: true })
        break
      }
      case 'completed': {
        this.#inFlight.delete(e.action.path)
        this.#failing.delete(e.action.path)
        this.#filesDone++
        // A dry run's transfer moves no byte (its `bytes` are 0), yet it is through: counted by its
        // size, or its bar stood at 0% beside "20,020/20,020 files" (QA 27a).
        if (e.dryRun) this.#dryRun = true
        this.#bytesFinished += e.dryRun ? transferBytesOf(e.action) : completedProgressBytes(e)
        const k = e.action.kind
        if (k === 'copy') this.#counts.copied++
        else if (k === 'update') this.#counts.updated++
        else if (k === 'delete') this.#counts.deleted++
        else if (k === 'move') this.#counts.moved++
        else if (isMetadata(k)) this.#counts.other++
        break
      }
      case 'skipped':
        this.#counts.skipped++
        // A held delete that a guard refused was queued: it will not start now.
        if (e.action && e.action.kind !== 'skip' && e.action.kind !== 'conflict') {
          this.#queued = Math.max(0, this.#queued - 1)
        }
        break
      case 'failed':
        // A continuous job's copy whose source vanished before it was read is tried again and found
        // gone: no failure of it (see `isVanishedCopy`). Never `completed`, it stayed "failing" for
        // good: a build's burst of temp files left "failed 56" on the screen of a watch in step.
        if (e.error.code === 'ABORTED' || (this.continuous && isVanishedCopy(e))) {
          if (e.error.code !== 'ABORTED') this.#cycleVanished++
          this.#inFlight.delete(e.path)
          break
        }
        this.#inFlight.delete(e.path)
        // The AUTH stop after refused transfers is listed as an error, but is no failed item.
        if (!isRunStop(e)) {
          this.#counts.failed++
          if (this.continuous && this.#failing.size < FAILING_MAX) this.#failing.add(failingKey(e))
        }
        this.#errorCount++
        this.#errors.push({
          id: this.#errorCount,
          ts: e.ts,
          path: e.path,
          code: e.error.code,
          message: e.error.message,
          ...(e.error.hint !== undefined ? { hint: e.error.hint } : {}),
          stage: e.stage,
          ...(e.side !== undefined ? { side: e.side } : {}),
        })
        if (this.#errors.length > this.#limits.maxErrors) this.#errors = this.#errors.slice(-this.#limits.maxErrors)
        break
      case 'notice':
        this.#notices.push({ code: e.code, message: e.message })
        if (this.#notices.length > this.#limits.maxNotices)
          this.#notices = this.#notices.slice(-this.#limits.maxNotices)
        break
      case 'stats':
        this.#listing = e.listing
        break
      case 'done':
        if (e.summary.dryRun) this.#dryRun = true
        this.#inFlight.clear()
        this.#queued = 0
        this.#listing = false
        // A watch's last done totals its cycles, whose unchanged files are counted already: added
        // again, quitting showed twice as many (QA 25c #3).
        // A two-way watch's pass compares every file: the files in step are those its last pass found.
        // So are the files it held back (deletes beyond --max-delete, and the writes held with them):
        // each pass skips them again, and the sum grew by as many at every pass while nothing changed.
        if (this.continuous && e.summary.mode === 'bisync') {
          this.#counts.unchanged = e.summary.unchanged
          this.#counts.skipped = e.summary.skipped
          // A dry run writes nothing: each pass goes through all it would do again, and the sum said
          // "copied 8" for 3 files. What the job would do is what its last pass would.
          if (e.summary.dryRun) {
            const d = e.summary.done
            Object.assign(this.#counts, {
              copied: d.copy,
              updated: d.update,
              deleted: d.delete,
              moved: d.move,
              other: d.touch + d.mkdir,
            })
          }
        } else if (!(this.continuous && e.summary.mode === 'watch')) this.#counts.unchanged += e.summary.unchanged
        if (this.continuous && e.summary.mode !== 'watch') {
          this.#phase = 'idle'
          // A rescan that listed both sides: the failures of a whole side are over (the job's total
          // counts them so too).
          const s0 = e.summary
          if ((e.trigger === 'rescan' || e.trigger === 'initial') && s0.listingErrors === 0 && s0.fatal === undefined) {
            for (const key of this.#failing) if (key.startsWith(SIDE_KEY)) this.#failing.delete(key)
          }
          // An idle job is done with what it planned: what failed is counted as failing, and the
          // next attempt plans it again, so the bar is not held below 100% for good by retries.
          this.#filesPlanned = this.#filesDone
          this.#bytesPlanned = this.#bytesFinished
          const s = withoutVanished(e.summary, this.#cycleVanished)
          this.#cycleVanished = 0
          this.#cycleCount++
          this.#cycles.push({
            n: this.#cycleCount,
            ts: e.ts,
            text: `${summaryText(s)}${s.interrupted ? ' (interrupted)' : ''}`,
            failed: s.failed > 0 || s.fatal !== undefined,
          })
          // A watch of weeks ends thousands of cycles: kept all, each frame's snapshot copied them all.
          if (this.#cycles.length > this.#limits.maxCycles) this.#cycles.shift()
        } else {
          this.#phase = 'done'
          this.#final = e.summary
        }
        break
    }
  }

  /**
   * An immutable snapshot for rendering. `pausedSince` (ms since epoch, the clock of the events'
   * `ts`): the run is paused since then, so what started since and has not moved a byte is held by
   * the pause (`held`), not in flight. What started before it runs on: "running transfers finish".
   */
  view(pausedSince?: number): SyncView {
    let partial = 0
    let held = 0
    const transfers: TransferView[] = []
    for (const t of this.#inFlight.values()) {
      partial += t.bytes
      if (pausedSince !== undefined && t.startedAt >= pausedSince && t.moving !== true) held++
      else if (transfers.length < this.#limits.maxTransfers) transfers.push(t)
    }
    return {
      phase: this.#phase,
      listing: this.#listing && this.#phase !== 'done',
      filesPlanned: this.#filesPlanned,
      filesDone: this.#filesDone,
      bytesPlanned: this.#bytesPlanned,
      bytesDone: this.#bytesFinished + partial,
      queued: this.#queued,
      counts: this.continuous ? { ...this.#counts, failed: this.#failing.size } : { ...this.#counts },
      transfers,
      inFlight: this.#inFlight.size - held,
      held,
      errors: [...this.#errors],
      errorCount: this.#errorCount,
      notices: [...this.#notices],
      // The same array while no cycle ended, so `<Static>` sees no change.
      cycles: this.#cycleCount === this.#cyclesShownCount ? this.#cyclesShown : this.#snapshotCycles(),
      ...(this.#final ? { final: this.#final } : {}),
      dryRun: this.#dryRun,
    }
  }

  #cyclesShown: readonly CycleView[] = []
  #cyclesShownCount = 0

  #snapshotCycles(): readonly CycleView[] {
    this.#cyclesShown = [...this.#cycles]
    this.#cyclesShownCount = this.#cycleCount
    return this.#cyclesShown
  }

  #begin(): void {
    if (this.#phase === 'starting' || this.#phase === 'idle') this.#phase = 'running'
  }
}
