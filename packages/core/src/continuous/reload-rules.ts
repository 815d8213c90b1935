import { defer, EMPTY, mergeMap, type Observable } from 'rxjs'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { RelPath } from '../model/rel-path.js'
import type { SyncEvent } from '../model/sync-event.js'

/**
 * Before a continuous job's next full look at the trees (a one-way rescan, a two-way pass): the
 * rules file read again (`reload`), its rules handed to `use` from then on when they changed, which
 * a notice says (`applies`: from when, in the notice's words). Rules that cannot be read leave
 * those in use as they are (the failure reported on the file), never none: they may keep secrets out.
 */
export function reloadRules(
  reload: (() => Promise<PathFilter | undefined>) | undefined,
  filterFile: RelPath,
  use: (filter: PathFilter) => void,
  applies: string,
): Observable<SyncEvent> {
  if (reload === undefined) return EMPTY
  return defer(async (): Promise<SyncEvent[]> => {
    try {
      const next = await reload()
      if (next === undefined) return []
      use(next)
      const message = `${filterFile} changed: its rules apply ${applies}`
      return [{ type: 'notice', ts: Date.now(), code: 'IGNORE_RULES_CHANGED', message, path: filterFile }]
    } catch (err) {
      const caught = asSyncError(err, 'watch', filterFile)
      // Its line says its code, as every failure's does: one thrown without an op (the file over
      // 1 MiB) had none (QA 11 #8).
      const error =
        caught.op === undefined
          ? new SyncError(caught.code, caught.message, {
              op: 'watch',
              path: caught.path ?? filterFile,
              cause: caught,
              ...(caught.hint !== undefined ? { hint: caught.hint } : {}),
            })
          : caught
      return [
        {
          type: 'failed',
          ts: Date.now(),
          path: error.path ?? filterFile,
          error: {
            ...error.toJSON(),
            hint: `${error.hint ?? 'Fix the file.'} Until then the rules read before stay in use.`,
          },
          // Not a listing error: the look that follows lists both sides in full and may delete (what
          // the rules in use leave in scope), as every one since the start did.
          stage: 'plan',
        },
      ]
    }
  }).pipe(mergeMap((events) => events))
}
