import type { SyncEvent } from '@syncflow/core'
import { useEffect, useState } from 'react'
import type { Observable } from 'rxjs'
import { type SyncView, type SyncViewLimits, SyncViewState } from './sync-view-state.js'

/** Options of `useSyncEvents`. */
export interface UseSyncEventsOptions extends SyncViewLimits {
  /** A continuous job (cycles, then the job's `done`). [false] */
  readonly continuous?: boolean
  /** At most one new view per this many ms, however fast events come (the render budget). [250] */
  readonly frameMs?: number
}

/**
 * The screen's data from a run's SyncEvent stream: events are folded as they come (cheap) and a
 * new snapshot is handed to React at most every `frameMs`, so a fast sync does not re-render per
 * file. The last event (`done`) is shown at once. Subscribes in an effect; the cleanup unsubscribes.
 */
export function useSyncEvents(events$: Observable<SyncEvent>, opts: UseSyncEventsOptions = {}): SyncView {
  const { continuous = false, frameMs = 250, maxTransfers, maxErrors, maxNotices } = opts
  const [view, setView] = useState<SyncView>(() => new SyncViewState(continuous).view())
  useEffect(() => {
    const state = new SyncViewState(continuous, {
      ...(maxTransfers !== undefined ? { maxTransfers } : {}),
      ...(maxErrors !== undefined ? { maxErrors } : {}),
      ...(maxNotices !== undefined ? { maxNotices } : {}),
    })
    let shown = -1
    const flush = (): void => {
      if (state.version === shown) return
      shown = state.version
      setView(state.view())
    }
    const timer = setInterval(flush, frameMs)
    const sub = events$.subscribe({
      next: (e) => {
        state.add(e)
        if (e.type === 'done') flush()
      },
      complete: flush,
      error: flush,
    })
    return () => {
      clearInterval(timer)
      sub.unsubscribe()
    }
  }, [events$, continuous, frameMs, maxTransfers, maxErrors, maxNotices])
  return view
}
