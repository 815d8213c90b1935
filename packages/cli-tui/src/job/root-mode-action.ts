import { stat } from 'node:fs/promises'
import {
  type Action,
  type Backend,
  type Entry,
  MODE_DIFFERS,
  type RelPath,
  type SyncEvent,
  supports,
} from '@syncflow/core'
import { concat, map, type Observable, of } from 'rxjs'
import { localPathOf } from './local-path-of.js'

/**
 * What `finishLocalTarget` would do to a local target's root mode, as the action `check` and a dry
 * run report (rsync -ain: `.d...p..... ./`; review 22 F7: "In sync" while a real run would chmod
 * the root). The root's path is the empty RelPath. Undefined when the modes agree, or either side
 * is not a local directory.
 */
export async function rootModeAction(sourceLocation: string, targetLocation: string): Promise<Action | undefined> {
  const roots = await localRoots(sourceLocation, targetLocation)
  if (roots === undefined || roots.source.mode === roots.target.mode) return undefined
  return { kind: 'mkdir', path: ROOT, ...roots, reason: MODE_DIFFERS }
}

/**
 * What `finishLocalTarget` would do to a local target's root mtime, as the action `check` and a
 * dry run report (rsync -ain: `.d..t...... ./`): `check` said "In sync", exit 0, for a root whose
 * mtime differs where `sync` then set it (QA 30e), though it reports a sub-directory's. Within
 * `windowMs` (the run's --modify-window, or the coarser precision of the two sides) it is equal, as
 * the engine compares directories: `finishLocalTarget` sets it to the microsecond, so a nanosecond
 * root would otherwise differ after every run. Undefined when either side is not a local directory.
 */
export async function rootMtimeAction(
  sourceLocation: string,
  targetLocation: string,
  windowMs: number,
): Promise<Action | undefined> {
  const roots = await localRoots(sourceLocation, targetLocation)
  if (roots === undefined || Math.abs(roots.source.mtimeMs - roots.target.mtimeMs) <= windowMs) return undefined
  return { kind: 'touch', path: ROOT, ...roots, reason: 'mtime differs' }
}

/** The root's path: the empty RelPath. */
const ROOT = '' as RelPath

/** Both roots as entries (mode and mtime), when both locations are local directories; else undefined. */
async function localRoots(
  sourceLocation: string,
  targetLocation: string,
): Promise<{ source: Entry; target: Entry } | undefined> {
  const source = localPathOf(sourceLocation)
  const target = localPathOf(targetLocation)
  if (source === undefined || target === undefined) return undefined
  const [s, t] = await Promise.all([stat(source), stat(target)]).catch(() => [])
  if (!s?.isDirectory() || !t?.isDirectory()) return undefined
  const entry = (st: { mode: number; mtimeMs: number }): Entry => ({
    path: ROOT,
    kind: 'dir',
    size: 0,
    mtimeMs: st.mtimeMs,
    mode: st.mode & 0o7777,
  })
  return { source: entry(s), target: entry(t) }
}

/**
 * The target root's creation, as the action `check` and a dry run report when the target is a
 * local directory that does not exist: a real run makes it before it starts (rsync -n says
 * "created directory"), and `check EMPTY_SRC MISSING_DIR` said "In sync", exit 0 (QA 26h).
 * Undefined when the root exists, or it cannot be asked, or the target is not local (a grpc://
 * directory is made by the first write into it, so an empty source makes none; an S3 prefix that
 * holds nothing is no difference).
 */
export async function missingRootAction(target: Backend, targetLocation: string): Promise<Action | undefined> {
  if (localPathOf(targetLocation) === undefined || !target.capabilities.emptyDirs || !supports.mkdir(target)) {
    return undefined
  }
  const exists = await target.rootExists().catch(() => true)
  return exists ? undefined : { kind: 'mkdir', path: ROOT, reason: 'the target root does not exist' }
}

/**
 * `events` with the root's action planned first (and, for a dry run, said as what it would do) and
 * counted in the summary of its `done`.
 */
export function withRootAction(events: Observable<SyncEvent>, action: Action, dryRun: boolean): Observable<SyncEvent> {
  const first: SyncEvent[] = [{ type: 'planned', ts: Date.now(), action }]
  // Started, then completed, as the engine says each action of a dry run (a screen counts it
  // queued until it starts: `ui -n` showed "queue 1" to the end).
  if (dryRun) {
    first.push(
      { type: 'started', ts: Date.now(), action },
      { type: 'completed', ts: Date.now(), action, bytes: 0, durationMs: 0, dryRun: true },
    )
  }
  return concat(
    of(...first),
    events.pipe(
      map((e): SyncEvent => {
        if (e.type !== 'done') return e
        const { planned, done, modesSet, dirActions } = e.summary
        // (A dry run's `done` counts what it would do: its completed events.)
        const did = dryRun ? 1 : 0
        if (action.kind === 'touch') {
          // The root's mtime (`rootMtimeAction`): counted as a directory's touch is.
          const dirs = dirActions ?? { planned: { touch: 0, delete: 0 }, done: { touch: 0, delete: 0 } }
          return {
            ...e,
            summary: {
              ...e.summary,
              planned: { ...planned, touch: planned.touch + 1 },
              done: { ...done, touch: done.touch + did },
              dirActions: {
                planned: { ...dirs.planned, touch: dirs.planned.touch + 1 },
                done: { ...dirs.done, touch: dirs.done.touch + did },
              },
            },
          }
        }
        return {
          ...e,
          summary: {
            ...e.summary,
            planned: { ...planned, mkdir: planned.mkdir + 1 },
            done: { ...done, mkdir: done.mkdir + did },
            // (A chmod of the root that is there; the root made, `missingRootAction`, is no chmod.)
            ...(action.target !== undefined
              ? { modesSet: { planned: (modesSet?.planned ?? 0) + 1, done: (modesSet?.done ?? 0) + did } }
              : {}),
          },
        }
      }),
    ),
  )
}

/**
 * The mtime window the engine compares a job's directories with (`sync`'s default: the coarser
 * precision of the two sides, or --modify-window), for `rootMtimeAction`.
 */
export function modifyWindowOf(job: {
  readonly source: Backend
  readonly target: Backend
  readonly options: { readonly modifyWindowMs?: number }
}): number {
  return (
    job.options.modifyWindowMs ??
    Math.max(job.source.capabilities.mtimePrecisionMs, job.target.capabilities.mtimePrecisionMs)
  )
}
