import type { OperatorFunction } from 'rxjs'
import type { Entry } from '../model/entry.js'
import type { Decision } from './decide.js'
import type { ExcludedTrail } from './excluded-trail.js'
import { mapWindows } from './map-windows.js'
import type { PlanOutcome } from './plan.js'

/** A target directory's planned delete, held until its subtree has been seen. */
interface Held {
  readonly path: string
  readonly outcome: PlanOutcome
  /** The source listed something inside it, or the target holds an excluded entry there: it stays. */
  stays: boolean
}

const NONE: Decision = { kind: 'none' }

/** True for a planned delete of a target directory the source lists nothing at. */
function isDirDelete(o: PlanOutcome): boolean {
  const d = o.decision
  return (
    d.kind === 'action' && d.action.kind === 'delete' && o.pair.source === undefined && o.pair.target?.kind === 'dir'
  )
}

/**
 * Holds the delete of a target directory until its subtree has gone by, and drops it (`none`) when
 * the directory is to stay after all:
 * - for a source that lists no directories (S3: a "directory" is a prefix that keys share), when
 *   the source listed anything inside it: the directory exists there, implied by its contents.
 *   `decide` plans the delete (it sees one pair). rclone's sync removes the directories its S3
 *   source no longer has (QA 15 #1: an S3 → local mirror left every emptied directory behind);
 * - with `excluded` (the target's excluded entries, kept), when one of them is inside it: it could
 *   not be removed (QA 16 F6: `check` reported it forever, `sync` skipped it on every run).
 * The kept delete comes out after the directory's contents; `transfer` removes directories deepest
 * first whatever their order, and only empty ones. Memory: one held outcome per level of the
 * current directory chain (and the trail's entries between the listing and the planner).
 */
export function holdDirDeletes(excluded?: ExcludedTrail): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  return mapWindows(() => {
    const held: Held[] = []
    /** Leaves the held directories `path` is not inside: each goes out as its delete, or as `none`. */
    const leave = (path: string, out: PlanOutcome[]): void => {
      for (let top = held.at(-1); top && !path.startsWith(`${top.path}/`); top = held.at(-1)) {
        held.pop()
        out.push(top.stays ? { pair: top.outcome.pair, decision: NONE } : top.outcome)
      }
    }
    /** Marks the held directories holding an excluded target entry listed before `entry` (all, without one). */
    const excludedBefore = (entry: Entry | undefined): void => {
      if (excluded === undefined) return
      for (const path of excluded.takeBefore(entry)) {
        for (const h of held) if (path.startsWith(`${h.path}/`)) h.stays = true
      }
    }
    return {
      step(window) {
        const out: PlanOutcome[] = []
        for (const o of window) {
          // (Before leaving: an excluded entry between the last pair and this one is inside
          // directories still held.)
          excludedBefore(o.pair.source ?? o.pair.target)
          leave(o.pair.path as string, out)
          // What is still held now are the directories this path is inside.
          if (o.pair.source !== undefined) for (const h of held) h.stays = true
          if (isDirDelete(o)) held.push({ path: o.pair.path as string, outcome: o, stays: false })
          else out.push(o)
        }
        return out
      },
      // The listings ended: what is still held had nothing from the source inside it.
      flush() {
        const out: PlanOutcome[] = []
        excludedBefore(undefined)
        leave('', out)
        return out
      },
    }
  })
}
