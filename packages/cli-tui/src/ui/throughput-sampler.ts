import { type SyncEvent, ThroughputMeter } from '@syncflow/core'

/** What the throughput line shows. */
export interface ThroughputView {
  readonly bytesPerSec: number
  readonly filesPerSec: number
  /** Estimated ms to completion, when it can be told. */
  readonly etaMs?: number
  /** Bytes/s, one sample per `sample()` call (a second apart), oldest first; at most `points`. */
  readonly history: readonly number[]
}

/**
 * Rates and a minute of history for the sparkline, from the core `ThroughputMeter` fed with the
 * run's events. Pure apart from the `now` it is given, so it is tested without a clock.
 */
export class ThroughputSampler {
  readonly #meter: ThroughputMeter
  #history: number[] = []
  #listing = true

  constructor(
    now: number,
    /** Samples kept (one a second: the last minute). */
    readonly points = 60,
    windowMs = 5000,
  ) {
    this.#meter = new ThroughputMeter(now, windowMs)
  }

  add(e: SyncEvent): void {
    if (e.type === 'stats') this.#listing = e.listing
    else if (e.type === 'done') this.#listing = false
    this.#meter.add(e)
  }

  /** Takes a sample at `now` (call once a second) and returns the current view. */
  sample(now: number): ThroughputView {
    const s = this.#meter.snapshot(now, this.#listing)
    this.#history.push(s.bytesPerSec)
    if (this.#history.length > this.points) this.#history = this.#history.slice(-this.points)
    return {
      bytesPerSec: s.bytesPerSec,
      filesPerSec: s.filesPerSec,
      ...(s.etaMs !== undefined ? { etaMs: s.etaMs } : {}),
      history: [...this.#history],
    }
  }
}
