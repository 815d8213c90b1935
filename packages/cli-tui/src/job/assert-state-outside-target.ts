import { sep } from 'node:path'
import { defaultStateDir, type PathFilter, SyncError, toRelPath } from '@syncflow/core'
import { isLocationRoot, pathInside, SQLITE_SUFFIXES, stateFileOf } from './state-dir-exclude-of.js'

/**
 * Refuses a mirror into a local target that holds the job's state directory (its lock file, and the
 * default state file) or the SQLite file `--state` names: the mirror lists them as files the source
 * lacks and deletes them while the run holds them (QA 29c: the lock deleted, so a second run was no
 * longer kept out; a `--state` file deleted, then "SQLITE_IOERR … a bug in syncflow" and exit 1 on
 * every run). The state directory is excluded for the run (`stateDirExcludeOf`), so refused only
 * under --delete-excluded. Allowed where the flags' filters leave them out of the target's listing (as for a
 * source inside the target: `--exclude /.state`), a SQLite file with its journals (`-wal`, `-shm`,
 * `-journal`), which SQLite loses committed writes without. A state directory (or a `--state`
 * directory of state files) that is the target itself is refused whatever the filters say: no
 * exclude leaves out a target's root, and the check above takes only a path strictly inside, so the
 * mirror deleted the lock it held, then its live state file on the next run (SQLITE_IOERR, exit 1).
 * @throws SyncError `USAGE`
 */
export async function assertStateOutsideTarget(
  target: string,
  state: string | false | undefined,
  keptOut: PathFilter | undefined,
): Promise<void> {
  const stateDir = defaultStateDir()
  if (await isLocationRoot(target, stateDir)) {
    throw refused(
      `the state directory ${JSON.stringify(stateDir)} (the job's lock, and its state file) is the target ${JSON.stringify(target)}`,
      'Choose a state directory outside the target with SYNCFLOW_STATE_DIR.',
    )
  }
  const dirRel = await pathInside(target, stateDir)
  if (dirRel !== undefined && !leftOut(dirRel, keptOut)) {
    throw refused(
      `the state directory ${JSON.stringify(stateDir)} (the job's lock, and its state file) lies inside the target ${JSON.stringify(target)}`,
      `Choose a state directory outside the target with SYNCFLOW_STATE_DIR, or leave it out of the target with --exclude '/${dirRel.split(sep).join('/')}'.`,
    )
  }
  // A file path: not a URL (redis://, sqlite:…, memory:), whose own path is checked the same way.
  const file = stateFileOf(state)
  if (file !== undefined && (await isLocationRoot(target, file))) {
    throw refused(
      `the state directory ${JSON.stringify(state)} (given to --state: the job's state file goes there) is the target ${JSON.stringify(target)}`,
      'Keep the state outside the target (--state PATH).',
    )
  }
  const fileRel = file === undefined ? undefined : await pathInside(target, file)
  if (fileRel === undefined) return
  if (SQLITE_SUFFIXES.every((suffix) => leftOut(fileRel + suffix, keptOut))) return
  throw refused(
    `the state file ${JSON.stringify(state)} lies inside the target ${JSON.stringify(target)}`,
    `Keep it outside the target (--state PATH), or leave it and its SQLite journals out of the target with --exclude '/${fileRel.split(sep).join('/')}*'.`,
  )
}

/**
 * Refuses a `move` whose local source is the state directory itself (SYNCFLOW_STATE_DIR, or a
 * `--state` directory): a state directory below the source is left out of its listing
 * (`stateDirExcludeOf`), but no exclude leaves out a source's root, and the move took the job's
 * lock, then its live state file on the next run, away from under it.
 * @throws SyncError `USAGE`
 */
export async function assertStateNotMoveSource(source: string, state: string | false | undefined): Promise<void> {
  const file = stateFileOf(state)
  for (const [dir, said] of [
    [defaultStateDir(), 'the state directory'],
    ...(file !== undefined ? [[file, '--state']] : []),
  ] as const) {
    if (await isLocationRoot(source, dir)) {
      throw new SyncError(
        'USAGE',
        `${said} ${JSON.stringify(dir)} (the job's lock, and its state file) is the source ${JSON.stringify(source)}: a move would take them away`,
        { hint: 'Choose a state directory outside the source with SYNCFLOW_STATE_DIR (or --state PATH).' },
      )
    }
  }
}

function refused(what: string, hint: string): SyncError {
  return new SyncError('USAGE', `${what}: a mirror would delete it, as the source lacks it`, { hint })
}

/** True when `filter` keeps `rel` (a path below the target root) out of the target's listing. */
function leftOut(rel: string, filter: PathFilter | undefined): boolean {
  if (filter === undefined || filter.empty) return false
  const segments = rel.split(sep)
  try {
    for (let i = 1; i <= segments.length; i++) {
      const path = toRelPath(segments.slice(0, i).join('/'))
      if (filter.canPrune(path) || (i === segments.length && filter.isExcluded(path, 'file'))) return true
    }
  } catch {
    // A name no RelPath may hold is never listed, so never deleted either.
    return true
  }
  return false
}
