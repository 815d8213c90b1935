import { stat } from 'node:fs/promises'
import { type Backend, type BisyncOptions, bisync, SyncError, type SyncOptions } from '@syncflow/core'
import type { JobFlags } from '../options/job-flags.js'
import { localPathOf } from './local-path-of.js'
import type { JobSpec } from './open-job.js'

/** What a two-way job's messages call its sides. */
export const TWO_WAY_SIDE_NAMES = { source: 'A', target: 'B' } as const

/**
 * How a two-way job (`bisync`, `watch --bisync`, `ui --bisync`) is opened: its sides named A and B,
 * the lock of the pair held both ways, and never read-only: a two-way dry run reads the job's
 * records, as its runs decide from them (it writes none).
 */
export function twoWayJobSpec({
  mode,
  source,
  target,
  flags,
}: Pick<JobSpec, 'mode' | 'source' | 'target' | 'flags'>): JobSpec {
  return { mode, source, target, flags, readOnly: false, sideNames: TWO_WAY_SIDE_NAMES, bothWays: true }
}

/** `bisync`'s run over an opened job: its records, filter and limits, and the flags only it has. */
export function bisyncOf(a: Backend, b: Backend, options: SyncOptions, flags: JobFlags) {
  return bisync(a, b, bisyncOptionsOf(options, flags))
}

/** The options of a two-way run (one, or each of a watch's) from the opened job's options and the flags. */
export function bisyncOptionsOf(options: SyncOptions, flags: JobFlags): BisyncOptions {
  if (options.state === undefined) {
    throw new SyncError('USAGE', 'bisync decides from the records of the last run, and this run has no state store', {
      hint: 'Drop --no-state (and "state": false in --config).',
    })
  }
  return {
    state: options.state,
    ...(flags.conflict ? { conflict: flags.conflict } : {}),
    ...(flags.checksum ? { compare: 'checksum' as const } : flags.sizeOnly ? { compare: 'size-only' as const } : {}),
    ...(options.modifyWindowMs !== undefined ? { modifyWindowMs: options.modifyWindowMs } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.filter ? { filter: options.filter } : {}),
    ...(options.excludeIfPresent?.length ? { excludeIfPresent: options.excludeIfPresent } : {}),
    ...(options.maxDelete ? { maxDelete: options.maxDelete } : {}),
    ...(options.allowEmptySource ? { allowEmptySource: true } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.checkUpdated === false ? { checkUpdated: false } : {}),
    ...(options.trackRenames !== undefined ? { trackRenames: options.trackRenames } : {}),
    ...(options.bwlimit ? { bwlimit: options.bwlimit } : {}),
    ...(options.blockSize ? { blockSize: options.blockSize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  }
}

/** What a two-way run says of a local side that does not exist (A or B). */
export const MAKE_MISSING_SIDE_HINT =
  'Make it first (mkdir) for a first run: a missing side is never taken as empty, so nothing was changed.'

/**
 * Before a two-way run: B must exist (where one-way sync makes a missing local target, two-way sync
 * would take every file of A as deleted on B after an unmount), and the run needs its records.
 */
export async function assertBisyncSides(b: string, state: string | false | undefined): Promise<void> {
  if (state === false) {
    throw new SyncError('USAGE', 'bisync decides from the records of the last run: it cannot run with --no-state', {
      hint: 'Drop --no-state (and "state": false in --config).',
    })
  }
  const path = localPathOf(b)
  if (path === undefined) return
  const st = await stat(path).catch(() => undefined)
  if (st === undefined) {
    throw new SyncError('NOT_FOUND', `B ${JSON.stringify(b)} does not exist`, {
      hint: MAKE_MISSING_SIDE_HINT,
    })
  }
}
