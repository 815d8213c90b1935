import type { Backend, BackendRegistry, OpenOptions, PathFilter } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'
import { assertNoOverlap, assertNoSharedDirectory, type OverlapNames } from './assert-no-overlap.js'

const BACKUP_HINT =
  'Choose a --backup-dir outside the source and the target (beside the target: ../backup), or leave it out of them with --exclude /PATH (its path inside).'

/** What `checkBackupDir` and `openBackupDir` need of the job. */
export interface BackupDirSpec {
  /** `--backup-dir` as given. */
  readonly location: string
  readonly source: string
  readonly target: string
  /** The flags' filters: a backup directory they keep out of a side may lie inside it. */
  readonly filter: PathFilter
  /** `--delete-excluded`: a mirror would delete an excluded backup directory inside the target. */
  readonly deleteExcluded: boolean
}

/**
 * Refuses a `--backup-dir` that a run would copy into or delete from, before anything is opened:
 * the source or the target itself, a directory that holds either (a kept file could land in them),
 * one inside the target (a mirror would delete it) or inside the source (it would be copied) unless
 * the filters leave it out there (rclone's rule for its `--backup-dir`).
 * @throws SyncError `USAGE`
 */
export async function checkBackupDir(spec: BackupDirSpec): Promise<void> {
  if (spec.location.trim() === '') {
    throw usageError('--backup-dir is an empty path', 'Give a directory or a URI beside the target, e.g. ../backup.')
  }
  await assertNoOverlap(spec.target, spec.location, spec.deleteExcluded ? undefined : spec.filter, names('target'))
  await assertNoOverlap(spec.source, spec.location, spec.filter, names('source'))
}

/**
 * Opens the `--backup-dir` as the target is opened (`options`), and refuses it where the backends
 * tell what names could not: one directory of a syncflow server reached under two names.
 */
export async function openBackupDir(
  spec: BackupDirSpec,
  registry: BackendRegistry,
  options: OpenOptions,
  opened: { source: Backend; target: Backend },
): Promise<Backend> {
  const backup = await registry.open(spec.location, options)
  try {
    const targetFilter = spec.deleteExcluded ? undefined : spec.filter
    const [target, source] = [
      { source: opened.target, target: backup },
      { source: opened.source, target: backup },
    ]
    await assertNoSharedDirectory(spec.target, spec.location, target, names('target'), targetFilter)
    await assertNoSharedDirectory(spec.source, spec.location, source, names('source'), spec.filter)
    return backup
  } catch (err) {
    await backup.close().catch(() => {})
    throw err
  }
}

function names(side: 'source' | 'target'): OverlapNames {
  return { source: side, target: '--backup-dir', hint: BACKUP_HINT }
}
