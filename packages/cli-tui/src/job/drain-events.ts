import type { SyncEvent, SyncSummary } from '@syncflow/core'
import type { Observable } from 'rxjs'
import { onRunEvent } from '../young-generation-cap.js'

/**
 * Subscribes to a run and calls `each` per event; resolves with the last `done` summary, rejects
 * with the run's error (or when it ended without a `done`). Types only from core: `watch` imports
 * this at start-up.
 */
export function drainEvents(events$: Observable<SyncEvent>, each: (e: SyncEvent) => void): Promise<SyncSummary> {
  return new Promise((resolve, reject) => {
    let summary: SyncSummary | undefined
    events$.subscribe({
      next: (e) => {
        onRunEvent(e)
        if (e.type === 'done') summary = e.summary
        each(e)
      },
      error: reject,
      complete: () => (summary ? resolve(summary) : reject(new Error('the engine ended without a "done" event'))),
    })
  })
}
