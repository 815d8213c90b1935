import type { OperatorFunction } from 'rxjs'
import { SyncError } from '../errors/sync-error.js'
import { compareUtf8 } from '../model/compare-utf8.js'
import { type Entry, entrySortKey } from '../model/entry.js'
import type { ExcludedTrail } from './excluded-trail.js'
import { mapWindows } from './map-windows.js'
import type { PlanOutcome } from './plan.js'
import { CLASH_HINT_EXCLUDED_KEPT, CLASH_HINT_NO_DELETES } from './transfer.js'

/** A new file's planned copy, held until the target's entries below its name have gone by. */
interface Held {
  /** `path/`: the target's entries below the file's name start with it. */
  readonly below: string
  readonly outcome: PlanOutcome
  /** The target listed something below the name: a directory (keys under `path/`) is in the way. */
  inTheWay: boolean
  /** What is below the name is (also) excluded, so kept by this run. */
  excluded: boolean
}

/** Options of `holdCopiesBesideDirs`. */
export interface HoldCopiesOptions {
  /** `--ignore-existing`: a copy in the way is skipped, not failed. */
  readonly ignoreExisting: boolean
  /**
   * The target's listed entries below a new file's name are in the way (a copy, which never deletes
   * them); false for a mirror, which deletes them.
   */
  readonly listed: boolean
  /** The target's excluded entries (kept by any mode), fed by its listing. [none] */
  readonly excluded?: ExcludedTrail
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
 * target (which writes nothing, so nothing fails in the way), and for a copy or mirror whose
 * filters leave out (keep) target entries: a source file `d` where the target has (kept) keys under
 * `d/` is a CONFLICT (or, under `--ignore-existing`, skipped), as into a
 * local target, whose write fails on the directory in the way. Written, the object `d` beside the
 * keys under `d/` would make `d` a file and a directory at once: every later listing of the
 * target (a restore, `ls`) skips it as a CONFLICT, and no copy ever deletes `d/…` (QA 26h #1; the
 * other way round, keys below an object `d`, is `filesInTheWay` in `decide`, QA 25b #3).
 *
 * The excluded ones count too (QA 27: `copy --exclude f1` and `sync --exclude f1` wrote the object
 * `t` beside the kept `t/f1`, and every later listing failed `t`; into a local target the write
 * failed, with a hint to look for held-back deletes).
 *
 * The target's entries below `d` come after `d` in the merge, but not right after it (`d-a` sorts
 * before `d/`): the copy is held until the merge is past `d/`. Memory: the held copies whose names
 * prefix the current key (a few), not the tree.
 */
export function holdCopiesBesideDirs(opts: HoldCopiesOptions): OperatorFunction<PlanOutcome[], PlanOutcome[]> {
  const { ignoreExisting, listed, excluded } = opts
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
          error: h.excluded
            ? new SyncError(
                'CONFLICT',
                "a directory on the target is in the way of the source's file (below its name are entries the filters leave out, which this run keeps); nothing was changed",
                {
                  op: 'plan',
                  path: pair.path,
                  hint: CLASH_HINT_EXCLUDED_KEPT,
                },
              )
            : new SyncError(
                'CONFLICT',
                "a directory on the target is in the way of the source's file (the target lists entries below its name); nothing was changed",
                {
                  op: 'plan',
                  path: pair.path,
                  hint: CLASH_HINT_NO_DELETES,
                },
              ),
        },
      }
    }
    /** Marks the held copies with excluded target entries below their names, up to `entry`. */
    const markExcluded = (entry: Entry | undefined): void => {
      if (excluded === undefined) return
      // Drained whether or not a copy is held: the trail stays as short as the listing's lead.
      const paths = excluded.takeBefore(entry)
      for (const p of paths) {
        for (const h of held) {
          // (An excluded directory `d` itself, kept whole, is listed as `d`, nothing below it.)
          if (p.startsWith(h.below) || `${p}/` === h.below) {
            h.inTheWay = true
            h.excluded = true
          }
        }
      }
    }
    return {
      step(window) {
        const out: PlanOutcome[] = []
        for (const o of window) {
          const entry = (o.pair.source ?? o.pair.target) as Entry
          markExcluded(entry)
          if (held.length > 0) {
            const path = o.pair.path as string
            const key = entrySortKey(entry)
            const still: Held[] = []
            for (const h of held) {
              // (A directory `d` on the target, a marker `d/`, is a pair of its own, keyed `d/`.)
              if (path.startsWith(h.below) || key === h.below) {
                if (listed && o.pair.target !== undefined) h.inTheWay = true
                still.push(h)
              } else if (compareUtf8(key, h.below) > 0) out.push(settle(h))
              else still.push(h)
            }
            held = still
          }
          if (isNewFileCopy(o)) held.push({ below: `${o.pair.path}/`, outcome: o, inTheWay: false, excluded: false })
          else out.push(o)
        }
        return out
      },
      // The listings ended: nothing more can come below a held name.
      flush() {
        markExcluded(undefined)
        const out = held.map(settle)
        held = []
        return out
      },
    }
  })
}
