import type { SyncEvent } from '@syncflow/core'
import { useEffect, useLayoutEffect, useRef, useState } from 'react'
import type { Subscribable } from 'rxjs'
import { type SyncView, type SyncViewLimits, SyncViewState } from './sync-view-state.js'
import { ThroughputSampler, type ThroughputView } from './throughput-sampler.js'

/** Options of `useSyncEvents`. */
export interface UseSyncEventsOptions extends SyncViewLimits {
  /** A continuous job (cycles, then the job's `done`). [false] */
  readonly continuous?: boolean
  /** At most one new view per this many ms, however fast events come. [500] */
  readonly frameMs?: number
  /** Interval of throughput samples (one point of the sparkline), ms. [1000] */
  readonly sampleMs?: number
  /** Most of the time drawing may take: a frame that took `c` ms waits `c / drawBudget` ms for the next (at most 1 s). [0.05] */
  readonly drawBudget?: number
  /** Since when (ms since epoch) the run is paused; undefined while it runs (see `SyncViewState.view`). */
  readonly pausedSince?: number
}

/** What the screen shows of a run. */
export interface SyncScreenData {
  readonly view: SyncView
  readonly throughput: ThroughputView
}

/** Timing of a `SyncScreenFeed`. */
export interface SyncScreenTiming {
  /** Least time between two frames, ms. */
  readonly frameMs: number
  /** Interval of throughput samples, ms. */
  readonly sampleMs: number
  /** Most of the time drawing may take (0..1). */
  readonly drawBudget: number
}

/** The longest wait for the next frame after a costly one (see `SyncScreenFeed.drawn`). */
export const MAX_FRAME_GAP_MS = 1000

/**
 * Folds events and decides when there is a new screen to hand to React: when something changed
 * and the last frame is far enough behind. Drawing is paced by what it costs: a frame that took
 * `c` ms is followed by the next one no sooner than `max(frameMs, c / drawBudget)` later, so drawing
 * takes a bounded share of the CPU (Ink's first frames, not yet compiled, cost tens of ms; later
 * ones a few). Pure apart from the times it is given.
 */
export class SyncScreenFeed {
  readonly state: SyncViewState
  readonly sampler: ThroughputSampler
  #shown = -1
  #nextSample: number
  #nextFrame = Number.NEGATIVE_INFINITY
  #pausedSince: number | undefined

  constructor(
    continuous: boolean,
    limits: SyncViewLimits,
    readonly timing: SyncScreenTiming,
    now: number,
  ) {
    this.state = new SyncViewState(continuous, limits)
    this.sampler = new ThroughputSampler()
    this.#nextSample = now + timing.sampleMs
  }

  /** Folds one event; `now` is read only for the few that need it (30,000 events for 10,000 files). */
  add(e: SyncEvent, now: () => number): void {
    this.state.add(e)
    if (e.type === 'stats' || e.type === 'done') this.sampler.add(e, now())
  }

  /** Says since when the run is paused (undefined: it runs again); the next frame shows it. */
  setPausedSince(since: number | undefined): void {
    if (since === this.#pausedSince) return
    this.#pausedSince = since
    this.#shown = -1
  }

  /**
   * The screen data at `now` when a frame is due and anything changed since the last one (an
   * event, or a throughput sample falling due), else undefined: an unchanged screen costs no
   * render. `force` (the end of a run or cycle) skips the pacing.
   */
  frame(now: number, force = false): SyncScreenData | undefined {
    const { sampleMs } = this.timing
    if (now >= this.#nextSample) {
      // One sample per interval, however late the frames come (a late one fills the gap with the current rate).
      while (this.#nextSample <= now) {
        this.sampler.sample(now)
        this.#nextSample += sampleMs
      }
      this.#shown = -1
    }
    if (this.state.version === this.#shown || (!force && now < this.#nextFrame)) return undefined
    this.#shown = this.state.version
    return { view: this.state.view(this.#pausedSince), throughput: this.sampler.current(now) }
  }

  /** Says that the frame handed out at `start` took until `end` to draw. */
  drawn(start: number, end: number): void {
    const { frameMs, drawBudget } = this.timing
    // At most MAX_FRAME_GAP_MS apart however costly: a frame's cost is wall time, and on a machine
    // whose CPU other processes share a 200 ms frame held the screen still for 4 s (QA 27a: the
    // count sat at "10,625/18,688+" for 5 s, and a resized window stayed wrong for 3 s).
    this.#nextFrame = start + Math.max(frameMs, Math.min((end - start) / drawBudget, MAX_FRAME_GAP_MS))
  }
}

/**
 * The screen's data from a run's SyncEvent stream: events are folded as they come (cheap) and a
 * new snapshot (view and throughput together, so one render) is handed to React at most every
 * `frameMs`, and more rarely when frames are costly (`SyncScreenFeed`), so a fast sync does not
 * re-render per file. The end of a run or of a watch cycle (`done`) is shown at once. Subscribes in
 * an effect; the cleanup unsubscribes and stops the timer. A pause (`pausedSince`) is shown at
 * once. Call it first in the root component: a
 * frame's cost is measured from this call to the commit (React renders an update later, from its
 * scheduler, so the time around `setState` says nothing).
 */
export function useSyncEvents(events: Subscribable<SyncEvent>, opts: UseSyncEventsOptions = {}): SyncScreenData {
  const renderStart = performance.now()
  const { continuous = false, frameMs = 500, sampleMs = 1000, drawBudget = 0.05 } = opts
  const { maxTransfers, maxErrors, maxNotices, maxCycles, pausedSince } = opts
  const [data, setData] = useState<SyncScreenData>(() => ({
    view: new SyncViewState(continuous).view(),
    throughput: new ThroughputSampler().current(0),
  }))
  const feedRef = useRef<SyncScreenFeed | undefined>(undefined)
  /** What the first frame (the mount, drawn before the feed exists) cost: it paces the feed's first frame. */
  const mountRef = useRef<{ start: number; end: number } | undefined>(undefined)
  /** The feed's flush (a frame now, if anything changed), for the pause effect. */
  const flushRef = useRef<((force?: boolean) => void) | undefined>(undefined)
  const pausedRef = useRef(pausedSince)
  pausedRef.current = pausedSince
  // After every commit (Ink has drawn the frame by then): what it cost paces the next one. The
  // mount counts too: it is the costliest frame (nothing compiled yet, ~40-55 ms in a 10,000-file
  // sync), and leaving it out let two more frames follow within the first second.
  useLayoutEffect(() => {
    const end = performance.now()
    if (feedRef.current) feedRef.current.drawn(renderStart, end)
    else mountRef.current ??= { start: renderStart, end }
  })
  useEffect(() => {
    const feed = new SyncScreenFeed(
      continuous,
      {
        ...(maxTransfers !== undefined ? { maxTransfers } : {}),
        ...(maxErrors !== undefined ? { maxErrors } : {}),
        ...(maxNotices !== undefined ? { maxNotices } : {}),
        ...(maxCycles !== undefined ? { maxCycles } : {}),
      },
      { frameMs, sampleMs, drawBudget },
      performance.now(),
    )
    feedRef.current = feed
    feed.setPausedSince(pausedRef.current)
    if (mountRef.current) feed.drawn(mountRef.current.start, mountRef.current.end)
    const clock = (): number => performance.now()
    const flush = (force = false): void => {
      const next = feed.frame(performance.now(), force)
      if (next) setData(next)
    }
    flushRef.current = flush
    // Ticks often enough to keep the pace; a tick with nothing due costs a comparison.
    const timer = setInterval(flush, Math.min(frameMs, sampleMs) / 2)
    const sub = events.subscribe({
      next: (e) => {
        feed.add(e, clock)
        if (e.type === 'done') flush(true)
      },
      complete: () => flush(true),
      error: () => flush(true),
    })
    return () => {
      clearInterval(timer)
      sub.unsubscribe()
      feedRef.current = undefined
      flushRef.current = undefined
    }
  }, [events, continuous, frameMs, sampleMs, drawBudget, maxTransfers, maxErrors, maxNotices, maxCycles])
  // After the effect above (effects run in order): the feed exists.
  useEffect(() => {
    feedRef.current?.setPausedSince(pausedSince)
    flushRef.current?.(true)
  }, [pausedSince])
  return data
}
