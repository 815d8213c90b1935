import { concat, defer, EMPTY, map, type OperatorFunction, of } from 'rxjs'
import type { PlanOutcome } from './plan.js'

/**
 * Maps each window of outcomes with `step`, then, once the windows end, emits what `flush` gives
 * (as one last window, if any): the shape of the operators that hold a directory's outcome until
 * its subtree has gone by (deferWalkedDirs, holdDirDeletes). Both are called afresh per subscription
 * through `init`, which returns them with the state they share.
 */
export function mapWindows(
  init: () => { step: (window: readonly PlanOutcome[]) => PlanOutcome[]; flush: () => PlanOutcome[] },
): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  return (windows$) =>
    defer(() => {
      const { step, flush } = init()
      const rest = defer(() => {
        const out = flush()
        return out.length > 0 ? of(out) : EMPTY
      })
      return concat(windows$.pipe(map(step)), rest)
    })
}
