import type { OperatorFunction } from 'rxjs'
import type { Decision } from './decide.js'
import { mapWindows } from './map-windows.js'
import type { PlanOutcome } from './plan.js'

/** A target directory's planned delete, held until its subtree has been seen. */
interface Held {
  readonly path: string
  readonly outcome: PlanOutcome
  /** The source listed something inside it: the directory exists there, implied by its contents. */
  listed: boolean
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
 * For a source that lists no directories (S3: a "directory" is a prefix that keys share), a target
 * directory the source does not list is gone from the source only when the source lists nothing
 * inside it either. `decide` plans its delete (it sees one pair); this holds that delete until the
 * directory's subtree has gone by and drops it (`none`) when the source listed anything in it, as
 * rclone's sync removes the directories its S3 source no longer has (QA 15 #1: an S3 → local mirror
 * left every emptied directory behind, forever). The kept delete comes out after the directory's
 * contents; `transfer` removes directories deepest first whatever their order, and only empty ones.
 * Memory: one held outcome per level of the current directory chain.
 */
export function holdDirDeletes(): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  return mapWindows(() => {
    const held: Held[] = []
    /** Leaves the held directories `path` is not inside: each goes out as its delete, or as `none`. */
    const leave = (path: string, out: PlanOutcome[]): void => {
      for (let top = held.at(-1); top && !path.startsWith(`${top.path}/`); top = held.at(-1)) {
        held.pop()
        out.push(top.listed ? { pair: top.outcome.pair, decision: NONE } : top.outcome)
      }
    }
    return {
      step(window) {
        const out: PlanOutcome[] = []
        for (const o of window) {
          leave(o.pair.path as string, out)
          // What is still held now are the directories this path is inside.
          // (Marked together, so when the innermost is marked, all are.)
          if (o.pair.source !== undefined && held.at(-1)?.listed === false) for (const h of held) h.listed = true
          if (isDirDelete(o)) held.push({ path: o.pair.path as string, outcome: o, listed: false })
          else out.push(o)
        }
        return out
      },
      // The listings ended: what is still held had nothing from the source inside it.
      flush() {
        const out: PlanOutcome[] = []
        leave('', out)
        return out
      },
    }
  })
}
