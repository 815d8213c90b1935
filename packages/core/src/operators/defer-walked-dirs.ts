import type { OperatorFunction } from 'rxjs'
import type { Decision } from './decide.js'
import { mapWindows } from './map-windows.js'
import type { PlanOutcome } from './plan.js'

/** A new directory's outcome, held until something inside it is acted on. */
interface Held {
  readonly path: string
  outcome: PlanOutcome | undefined
}

const NONE: Decision = { kind: 'none' }

/**
 * Holds back the creation of new directories that take part only so that an `--include` can match
 * inside them (`walkedOnly`): such a directory is created once something inside it is acted on
 * (its `mkdir` then goes out first, in order), and not at all when nothing is, as rclone does and
 * rsync with `-m` (QA: `copy --include '*.md'` left `images/2024/` empty in the target). A skip or
 * a conflict writes nothing, so it creates nothing either. Windows of outcomes in listing order (a
 * directory before its contents) go in and out; a directory not created comes out as `none` (its
 * backlog slot released, nothing counted). Memory: one held outcome per level of the current
 * directory chain.
 */
export function deferWalkedDirs(walkedOnly: (dir: string) => boolean): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  return mapWindows(() => {
    const held: Held[] = []
    /** Leaves the directories `path` is not inside; those never created come out as `none`. */
    const leave = (path: string, out: PlanOutcome[]): void => {
      for (let top = held.at(-1); top && !path.startsWith(`${top.path}/`); top = held.at(-1)) {
        held.pop()
        if (top.outcome) out.push({ pair: top.outcome.pair, decision: NONE })
      }
    }
    return {
      step(window) {
        const out: PlanOutcome[] = []
        for (const o of window) {
          const path = o.pair.path as string
          leave(path, out)
          const d = o.decision
          // A skip or a conflict writes nothing (a symlink the target cannot store): it is reported
          // where it is, and creates no directory above it (QA F8), as rsync -m would not.
          if (d.kind === 'action' && d.action.kind !== 'skip' && d.action.kind !== 'conflict') {
            const a = d.action
            if (a.kind === 'mkdir' && a.target === undefined && walkedOnly(path)) {
              held.push({ path, outcome: o })
              continue
            }
            // Something is done inside the held directories: they are created first, outermost first.
            for (const h of held) {
              if (h.outcome) out.push(h.outcome)
              h.outcome = undefined
            }
          }
          out.push(o)
        }
        return out
      },
      // The listing ended: what is still held was never needed.
      flush() {
        const out: PlanOutcome[] = []
        leave('', out)
        return out
      },
    }
  })
}
