import type { SyncEvent } from '@syncflow/core'

/** What the throughput line shows. */
export interface ThroughputView {
  readonly bytesPerSec: number
  readonly filesPerSec: number
  /** Estimated ms to completion, when it can be told. */
  readonly etaMs?: number
  /** Bytes/s, one sample per `sample()` call (a second apart), oldest first; at most `points`. */
  readonly history: readonly number[]
}

/** A rate older than this (no `stats` event since) is no longer current: the run is idle. [ms] */
const STALE_MS = 2500

/**
 * Rates and a minute of history for the sparkline, taken from the run's `stats` events (the engine
 * measures throughput over a sliding window and reports it at least once a second), so the UI
 * thread needs no meter of its own. Between runs (a watch waiting for changes) the rate falls to 0.
 * Pure apart from the `now` it is given, so it is tested without a clock.
 */
export class ThroughputSampler {
  #history: number[] = []
  #last: { readonly at: number; readonly bytesPerSec: number; readonly filesPerSec: number; etaMs?: number } | undefined

  constructor(
    /** Samples kept (one a second: the last minute). */
    readonly points = 60,
  ) {}

  /** Folds one event, seen at `now` (ms, the clock `sample` is given). Only `stats` and `done` matter. */
  add(e: SyncEvent, now: number): void {
    if (e.type === 'stats') {
      this.#last = {
        at: now,
        bytesPerSec: e.bytesPerSec,
        filesPerSec: e.filesPerSec,
        ...(!e.listing && e.etaMs !== undefined ? { etaMs: e.etaMs } : {}),
      }
    } else if (e.type === 'done') {
      this.#last = undefined
    }
  }

  /** The current view at `now`, without taking a sample. */
  current(now: number): ThroughputView {
    const last = this.#last && now - this.#last.at <= STALE_MS ? this.#last : undefined
    return {
      bytesPerSec: last?.bytesPerSec ?? 0,
      filesPerSec: last?.filesPerSec ?? 0,
      ...(last?.etaMs !== undefined ? { etaMs: last.etaMs } : {}),
      history: this.#history,
    }
  }

  /** Takes a sample at `now` (call once a second) and returns the current view. */
  sample(now: number): ThroughputView {
    const bytesPerSec = this.current(now).bytesPerSec
    this.#history =
      this.points > 0 ? [...this.#history.slice(this.#history.length - (this.points - 1)), bytesPerSec] : []
    return this.current(now)
  }
}
