import type { OperatorFunction } from 'rxjs'
import { SyncError } from '../errors/sync-error.js'
import { compareUtf8 } from '../model/compare-utf8.js'
import { type Entry, entrySortKey } from '../model/entry.js'
import { mapWindows } from './map-windows.js'
import type { PlanOutcome } from './plan.js'

/** A new file's planned copy, held until the target's entries below its name have gone by. */
interface Held {
  /** `path/`: the target's entries below the file's name start with it. */
  readonly below: string
  readonly outcome: PlanOutcome
  /** The target listed something below the name: a directory (keys under `path/`) is in the way. */
  inTheWay: boolean
}

/** True for a planned copy of a source file to a path the target has nothing at. */
function isNewFileCopy(o: PlanOutcome): boolean {
  const d = o.decision
  return (
    d.kind === 'action' && d.action.kind === 'copy' && o.pair.source?.kind === 'file' && o.pair.target === undefined
  )
}

/**
 * For a copy (never deletes) into a target without directories (S3), or a dry run of one into any
 * target (which writes nothing, so nothing fails in the way): a source file `d` where the
 * target has keys under `d/` is a CONFLICT (or, under `--ignore-existing`, skipped), as into a
 * local target, whose write fails on the directory in the way. Written, the object `d` beside the
 * keys under `d/` would make `d` a file and a directory at once: every later listing of the
 * target (a restore, `ls`) skips it as a CONFLICT, and no copy ever deletes `d/…` (QA 26h #1; the
 * other way round, keys below an object `d`, is `filesInTheWay` in `decide`, QA 25b #3).
 *
 * The target's entries below `d` come after `d` in the merge, but not right after it (`d-a` sorts
 * before `d/`): the copy is held until the merge is past `d/`. Memory: the held copies whose names
 * prefix the current key (a few), not the tree.
 */
export function holdCopiesBesideDirs(ignoreExisting: boolean): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  return mapWindows(() => {
    let held: Held[] = []
    const settle = (h: Held): PlanOutcome => {
      if (!h.inTheWay) return h.outcome
      const { pair } = h.outcome
      const source = pair.source as Entry
      if (ignoreExisting) {
        return {
          pair,
          decision: {
            kind: 'action',
            action: {
              kind: 'skip',
              path: pair.path,
              source,
              reason: 'the target has another kind of entry there (--ignore-existing keeps it)',
            },
          },
        }
      }
      return {
        pair,
        decision: {
          kind: 'error',
          error: new SyncError(
            'CONFLICT',
            "a directory on the target is in the way of the source's file (the target lists entries below its name); nothing was changed",
            {
              op: 'plan',
              path: pair.path,
              hint: 'This mode never deletes: remove or rename what is in the way on the target, or use sync (a mirror replaces it).',
            },
          ),
        },
      }
    }
    return {
      step(window) {
        const out: PlanOutcome[] = []
        for (const o of window) {
          if (held.length > 0) {
            const path = o.pair.path as string
            const key = entrySortKey((o.pair.source ?? o.pair.target) as Entry)
            const still: Held[] = []
            for (const h of held) {
              // (A directory `d` on the target, a marker `d/`, is a pair of its own, keyed `d/`.)
              if (path.startsWith(h.below) || key === h.below) {
                if (o.pair.target !== undefined) h.inTheWay = true
                still.push(h)
              } else if (compareUtf8(key, h.below) > 0) out.push(settle(h))
              else still.push(h)
            }
            held = still
          }
          if (isNewFileCopy(o)) held.push({ below: `${o.pair.path}/`, outcome: o, inTheWay: false })
          else out.push(o)
        }
        return out
      },
      // The listings ended: nothing more can come below a held name.
      flush() {
        const out = held.map(settle)
        held = []
        return out
      },
    }
  })
}
