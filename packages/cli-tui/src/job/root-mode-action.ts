import { stat } from 'node:fs/promises'
import {
  type Action,
  type Backend,
  type Entry,
  MODE_AND_MTIME_DIFFER,
  MODE_DIFFERS,
  type RelPath,
  type StatsEvent,
  type SyncEvent,
  type SyncSummary,
  supports,
} from '@syncflow/core'
import { concat, map, type Observable, of } from 'rxjs'
import { localPathOf } from './local-path-of.js'

/**
 * What `finishLocalTarget` does to a local target's root, as the one action `check`, a dry run and
 * a real run report, as a directory below it is reported (rsync -ain: `.d...p..... ./`,
 * `.d..t...... ./`; review 22 F7 and QA 30e: "In sync" while a real run would chmod or touch the
 * root): a chmod where the modes differ (`modes`: the target keeps them; not a FAT disk, whose
 * chmod changes nothing, review 24 #5), its mtime set with it and said so (`MODE_AND_MTIME_DIFFER`,
 * shown `chmod+touch`) where that differs too; else a touch where the mtimes differ by more than
 * `windowMs` (the run's --modify-window, or the coarser precision of the two sides, as the engine
 * compares directories: `finishLocalTarget` sets it to the microsecond, so a nanosecond root would
 * otherwise differ after every run). The root's path is the empty RelPath. Undefined when they
 * agree, or `roots` is undefined (either side is not a local directory: `localRoots`).
 */
export function rootAction(
  roots: { readonly source: Entry; readonly target: Entry } | undefined,
  modes: boolean,
  windowMs: number,
): Action | undefined {
  if (roots === undefined) return undefined
  const mtimeDiffers = Math.abs(roots.source.mtimeMs - roots.target.mtimeMs) > windowMs
  if (modes && roots.source.mode !== roots.target.mode) {
    return { kind: 'mkdir', path: ROOT, ...roots, reason: mtimeDiffers ? MODE_AND_MTIME_DIFFER : MODE_DIFFERS }
  }
  return mtimeDiffers ? { kind: 'touch', path: ROOT, ...roots, reason: 'mtime differs' } : undefined
}

/** The root's path: the empty RelPath. */
const ROOT = '' as RelPath

/** Both roots as entries (mode and mtime), when both locations are local directories; else undefined. */
export async function localRoots(
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
  return exists ? undefined : MISSING_ROOT
}

/** The target root's creation (`missingRootAction`). */
const MISSING_ROOT: Action = { kind: 'mkdir', path: ROOT, reason: 'the target root does not exist' }

/**
 * The target root a real run made before it started (`OpenedJob.madeTargetRoot`), as the action
 * its dry run says (`missingRootAction`): the real run said nothing of it, and counted one
 * directory fewer ("created 1 directory" where `sync -n` says "create 2": QA 35).
 */
export function madeRootAction(job: { readonly madeTargetRoot?: true }): Action | undefined {
  return job.madeTargetRoot ? MISSING_ROOT : undefined
}

/**
 * What a run of `job` would do to the target's root, as a dry run or `check` says it: make it
 * where it is missing (`missingRootAction`), else set its mode (`modes`) and mtime (`rootAction`).
 */
export async function plannedRootAction(
  job: Parameters<typeof modifyWindowOf>[0],
  sourceLocation: string,
  targetLocation: string,
  modes: boolean,
): Promise<Action | undefined> {
  return (
    (await missingRootAction(job.target, targetLocation)) ??
    rootAction(await localRoots(sourceLocation, targetLocation), modes, modifyWindowOf(job))
  )
}

/**
 * `events` with the root's action first, said as `said` (`rootActionEvents`: planned by `check`,
 * what a dry run would do, done by a real run), and counted in the summary of its `done` and in
 * every `stats` (`statsWithRoot`).
 */
export function withRootAction(
  events: Observable<SyncEvent>,
  action: Action,
  said: 'planned' | 'dry-run' | 'done',
): Observable<SyncEvent> {
  const did = said !== 'planned'
  return concat(
    of(...rootActionEvents(action, said)),
    events.pipe(
      map((e): SyncEvent => {
        if (e.type === 'done') return { ...e, summary: withRootCounted(e.summary, action, did) }
        return e.type === 'stats' ? statsWithRoot(e, did) : e
      }),
    ),
  )
}

/**
 * An engine's `stats` with the root's action counted, as its `done` counts it (`withRootCounted`):
 * planned, and done where `did` (it is said before the engine starts, so it is never in flight);
 * else still queued (`check`). The engine's meter never saw it: `--json` said 3 planned where the
 * `done` said 4 (review 36).
 */
export function statsWithRoot(stats: StatsEvent, did: boolean): StatsEvent {
  return {
    ...stats,
    filesPlanned: stats.filesPlanned + 1,
    filesDone: stats.filesDone + (did ? 1 : 0),
    queued: stats.queued + (did ? 0 : 1),
  }
}

/**
 * The events that say the root's action: `planned` (check), then for a dry run or a real run that
 * did it `started` and `completed`, as the engine says each action (a screen counts it queued
 * until it starts: `ui -n` showed "queue 1" to the end).
 */
export function rootActionEvents(action: Action, said: 'planned' | 'dry-run' | 'done'): SyncEvent[] {
  const events: SyncEvent[] = [{ type: 'planned', ts: Date.now(), action }]
  if (said === 'planned') return events
  events.push(
    { type: 'started', ts: Date.now(), action },
    {
      type: 'completed',
      ts: Date.now(),
      action,
      bytes: 0,
      durationMs: 0,
      ...(said === 'dry-run' ? { dryRun: true } : {}),
    },
  )
  return events
}

/** `summary` with the root's action counted as planned, and as done where `did` (a dry run's or a real run's). */
export function withRootCounted(summary: SyncSummary, action: Action, did: boolean): SyncSummary {
  const { planned, done, modesSet, dirActions } = summary
  const n = did ? 1 : 0
  if (action.kind === 'touch') {
    // The root's mtime alone: counted as a directory's touch is.
    const dirs = dirActions ?? { planned: { touch: 0, delete: 0 }, done: { touch: 0, delete: 0 } }
    return {
      ...summary,
      planned: { ...planned, touch: planned.touch + 1 },
      done: { ...done, touch: done.touch + n },
      dirActions: {
        planned: { ...dirs.planned, touch: dirs.planned.touch + 1 },
        done: { ...dirs.done, touch: dirs.done.touch + n },
      },
    }
  }
  return {
    ...summary,
    planned: { ...planned, mkdir: planned.mkdir + 1 },
    done: { ...done, mkdir: done.mkdir + n },
    // (A chmod of the root that is there; the root made, `missingRootAction`, is no chmod.)
    ...(action.target !== undefined
      ? { modesSet: { planned: (modesSet?.planned ?? 0) + 1, done: (modesSet?.done ?? 0) + n } }
      : {}),
  }
}

/**
 * The mtime window the engine compares a job's directories with (`sync`'s default: the coarser
 * precision of the two sides, or --modify-window), for `rootMtimeAction`. Unbounded under
 * `--size-only`, which compares no directory's mtime (`check --size-only` said `touch  .` and
 * exited 1 for trees whose files all had equal sizes).
 */
export function modifyWindowOf(job: {
  readonly source: Backend
  readonly target: Backend
  readonly options: { readonly modifyWindowMs?: number; readonly compare?: string }
}): number {
  if (job.options.compare === 'size-only') return Number.POSITIVE_INFINITY
  return (
    job.options.modifyWindowMs ??
    Math.max(job.source.capabilities.mtimePrecisionMs, job.target.capabilities.mtimePrecisionMs)
  )
}
