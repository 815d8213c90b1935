import type { Action, SyncEvent } from '@syncflow/core'
import { CONTINUOUS_MODE } from '@syncflow/core/continuous'
import { concat, map, type Observable, of } from 'rxjs'
import { rootActionEvents, statsWithRoot, withRootCounted } from './root-mode-action.js'

/**
 * A continuous job's (`watch`, `ui --watch`) events with the root's action said before its first
 * cycle, as `withRootAction` says it before a one-shot run: counted in that cycle's `done` and `stats`, and in
 * the job's last one (summary mode `watch`, the totals), not in every cycle's (a dry run that said
 * `mkdir .` again in each cycle would read as a target that keeps vanishing). QA 35 #1:
 * `watch -n SRC MISSING` did not say `mkdir .`, where `sync -n SRC MISSING` does. Without an
 * action, `events` as they are. `said`: what a dry run would do, or (`done`) the root a real watch
 * made before it started.
 */
export function withRootActionFirstCycle(
  events: Observable<SyncEvent>,
  action: Action | undefined,
  said: 'dry-run' | 'done' = 'dry-run',
): Observable<SyncEvent> {
  if (action === undefined) return events
  let counted = false
  return concat(
    of(...rootActionEvents(action, said)),
    events.pipe(
      map((e): SyncEvent => {
        // The first cycle's stats count it too, as its `done` does (the next cycles' meters start anew).
        if (e.type === 'stats') return counted ? e : statsWithRoot(e, true)
        if (e.type !== 'done') return e
        const first = e.cycle !== undefined && !counted
        if (first) counted = true
        return first || e.summary.mode === CONTINUOUS_MODE
          ? { ...e, summary: withRootCounted(e.summary, action, true) }
          : e
      }),
    ),
  )
}
