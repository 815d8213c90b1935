import { isRunStop, type SyncEvent, transferBytesOf } from '@syncflow/core'
import { completedProgressBytes } from './completed-progress-bytes.js'

/** What the progress line shows, derived from the event stream alone. */
export interface ProgressSnapshot {
  readonly planned: number
  readonly done: number
  readonly failed: number
  readonly bytesPlanned: number
  /** A dry run's bytes to transfer: of the actions it went through (its completed events), not of all planned. */
  readonly bytesWould: number
  /** Bytes of finished actions plus bytes written so far by those in flight. */
  readonly bytesDone: number
  readonly bytesPerSec: number
  readonly etaMs?: number
  /** True while the listing still runs (totals still growing). */
  readonly listing: boolean
  readonly elapsedMs: number
}

/**
 * Folds SyncEvents into progress counters. Counts come from `planned`/`completed`/`progress` events
 * (so a redraw between two `stats` events is current); the rate comes from the engine's `stats`.
 */
export class ProgressTracker {
  #planned = 0
  #done = 0
  #failed = 0
  #bytesPlanned = 0
  #bytesWould = 0
  #bytesFinished = 0
  readonly #inFlight = new Map<string, number>()
  #bytesPerSec = 0
  #etaMs: number | undefined
  #listing = true
  #startTs: number | undefined

  /** Applies one event. */
  apply(event: SyncEvent): void {
    this.#startTs ??= event.ts
    switch (event.type) {
      case 'planned':
        this.#planned++
        this.#bytesPlanned += transferBytesOf(event.action)
        break
      case 'progress':
        this.#inFlight.set(event.path, event.bytes)
        break
      case 'completed':
        this.#done++
        // (A file --link-dest would link copies no byte.)
        if (event.dryRun && event.linked !== true) this.#bytesWould += transferBytesOf(event.action)
        this.#bytesFinished += completedProgressBytes(event)
        this.#inFlight.delete(event.action.path)
        break
      case 'failed':
        // The AUTH stop names no item; an interrupted item (Ctrl-C) is no failure, as in the summary.
        if (!isRunStop(event) && event.error.code !== 'ABORTED') this.#failed++
        if (event.action) this.#inFlight.delete(event.action.path)
        break
      case 'stats':
        this.#bytesPerSec = event.bytesPerSec
        this.#etaMs = event.etaMs
        this.#listing = event.listing
        break
      case 'done':
        this.#listing = false
        this.#inFlight.clear()
        break
      default:
        break
    }
  }

  /** The current counters; `now` is ms since the epoch. */
  snapshot(now: number): ProgressSnapshot {
    let inFlight = 0
    for (const bytes of this.#inFlight.values()) inFlight += bytes
    const bytesDone = this.#bytesFinished + inFlight
    const left = this.#bytesPlanned - bytesDone
    // Everything planned settled: no time is left to estimate (the last frame said "ETA 1.0s").
    const settled = !this.#listing && this.#done + this.#failed >= this.#planned
    const etaMs =
      this.#listing || settled
        ? undefined
        : this.#bytesPerSec > 0 && left > 0
          ? (left / this.#bytesPerSec) * 1000
          : this.#etaMs
    return {
      planned: this.#planned,
      done: this.#done,
      failed: this.#failed,
      bytesPlanned: this.#bytesPlanned,
      bytesWould: this.#bytesWould,
      bytesDone,
      bytesPerSec: this.#bytesPerSec,
      ...(etaMs !== undefined ? { etaMs } : {}),
      listing: this.#listing,
      elapsedMs: this.#startTs === undefined ? 0 : Math.max(0, now - this.#startTs),
    }
  }
}
