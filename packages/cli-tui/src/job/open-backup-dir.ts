import { constants, type Stats } from 'node:fs'
import { lstat, open, readlink, realpath, stat } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import {
  asSyncError,
  type Backend,
  type BackendRegistry,
  bareMessage,
  isSyncError,
  makeDirectories,
  type OpenOptions,
  type PathFilter,
  SyncError,
  schemeOf,
} from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'
import { assertNoOverlap, assertNoSharedDirectory, type OverlapNames } from './assert-no-overlap.js'
import { assertPathGiven } from './assert-path-given.js'
import { explainMissing } from './explain-missing.js'
import { localPathOf } from './local-path-of.js'

const BACKUP_HINT =
  'Choose a --backup-dir outside the source and the target (beside the target: ../backup), or leave it out of them with --exclude /PATH (its path inside).'

/** What `checkBackupDir` and `openBackupDir` need of the job. */
export interface BackupDirSpec {
  /** `--backup-dir` as given. */
  readonly location: string
  readonly source: string
  readonly target: string
  /** What the user calls the source and the target (restore's backup (DST) and original (SRC)). [source, target] */
  readonly sideNames?: { readonly source: string; readonly target: string }
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
  const where = JSON.stringify(spec.location)
  assertPathGiven('--backup-dir', spec.location, 'a directory or a URI beside the target, e.g. ../backup.')
  // An in-memory store keeps nothing once syncflow exits: the "kept" files would be lost (QA 24 #2).
  if (schemeOf(spec.location) === 'mem') {
    throw usageError(
      `--backup-dir ${where} keeps nothing after syncflow exits (mem: is an in-memory store)`,
      'Give a directory or a URI that persists (s3://, grpc://), e.g. ../backup.',
    )
  }
  await assertLocalDirectory(spec.location)
  await assertNoSymlinkInSides(spec)
  if (spec.deleteExcluded) {
    // Left out by the filters, it would still be deleted: say that, not "exclude it" (QA 24 #8).
    // (Only an overlap says "inside": any other error, an unreadable path, is the run's to say.)
    const inside = await assertNoOverlap(spec.target, spec.location, {}, names('target', spec)).then(
      () => false,
      (err: unknown) => {
        if (isSyncError(err) && err.code === 'USAGE') return true
        throw err
      },
    )
    if (
      inside &&
      (await assertNoOverlap(spec.target, spec.location, { source: spec.filter }).then(
        () => true,
        () => false,
      ))
    ) {
      throw usageError(
        `--backup-dir ${where} is inside the target, and --delete-excluded would delete it there`,
        'Drop --delete-excluded, or choose a --backup-dir outside the target (beside it: ../backup).',
      )
    }
  }
  await assertNoOverlap(
    spec.target,
    spec.location,
    { source: spec.deleteExcluded ? undefined : spec.filter },
    names('target', spec),
  )
  await assertNoOverlap(spec.source, spec.location, { source: spec.filter }, names('source', spec))
}

/**
 * A local `--backup-dir` inside the source or the target (left out there by the filters): made now
 * (0700) and checked again, and its `dev:ino` returned for the backend to check at every write. The
 * check at the start alone let a symlink put in its place during the run, by whoever may write the
 * target, send the kept files where it pointed (review 24b B1: /etc/passwd as root). Undefined for
 * one outside both.
 */
async function pinInsideSide(spec: BackupDirSpec): Promise<string | undefined> {
  const path = localPathOf(spec.location)
  if (path === undefined) return undefined
  const abs = resolve(path)
  const sides = await localSides(spec)
  // By its path, or where it leads (a symlink of the user's own, outside, to a directory inside).
  const real = await realpath(abs).catch(() => abs)
  const inside = sides.some(({ roots }) =>
    roots.some((root) => abs.startsWith(`${root}${sep}`) || real.startsWith(`${root}${sep}`)),
  )
  if (!inside) return undefined
  const existed = (await lstat(abs).catch(() => undefined)) !== undefined
  await makeDirectories(abs, 0o700)
  await assertNoSymlinkInSides(spec)
  const st = await stat(abs)
  if (!existed) await modeLikeTargetRoot(abs, spec, st)
  return `${st.dev}:${st.ino}`
}

/**
 * One made by pinInsideSide takes the target root's mode, never writable by others, as the backend
 * gives one it makes itself (dirModesFrom): left 0700, `restore proj proj/.old --exclude /.old`
 * made the project private (the root's mode comes from the source's). Set through a handle of the
 * directory just checked (O_NOFOLLOW), never by its name: a symlink put there since is not followed.
 */
async function modeLikeTargetRoot(abs: string, spec: BackupDirSpec, checked: Stats): Promise<void> {
  const target = localPathOf(spec.target)
  const there = target === undefined ? undefined : await lstat(target).catch(() => undefined)
  if (!there?.isDirectory()) return
  const dir = await open(abs, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => undefined)
  if (dir === undefined) return
  try {
    const now = await dir.stat()
    if (now.dev === checked.dev && now.ino === checked.ino) await dir.chmod(there.mode & 0o7755)
  } catch {
    // kept 0700
  } finally {
    await dir.close()
  }
}

/** The job's local sides, each with the paths it is reached by: as given, and its real path. */
async function localSides(spec: BackupDirSpec): Promise<{ name: 'target' | 'source'; roots: string[] }[]> {
  const sides: { name: 'target' | 'source'; roots: string[] }[] = []
  for (const [name, location] of [
    ['target', spec.target],
    ['source', spec.source],
  ] as const) {
    const local = localPathOf(location)
    if (local === undefined) continue
    const given = resolve(local)
    const real = await realpath(local).catch(() => given)
    sides.push({ name, roots: real === given ? [given] : [given, real] })
  }
  return sides
}

/**
 * A local `--backup-dir` whose path goes through a symlink that lies inside the target or the source
 * (`--backup-dir dst/.old --exclude /.old` with `dst/.old -> /etc`) is refused: whoever may write the
 * target chose where the kept files land, and a run as root hard-linked a target file over
 * `/etc/passwd` (review 24 #1). The overlap checks compare real paths, which the link leads away
 * from. The path is resolved here one name at a time, each symlink met asked where it lies.
 * @throws SyncError `USAGE`
 */
async function assertNoSymlinkInSides(spec: BackupDirSpec): Promise<void> {
  const path = localPathOf(spec.location)
  if (path === undefined) return
  const sides = await localSides(spec)
  if (sides.length === 0) return
  const todo = resolve(path).split(sep).filter(Boolean)
  let at: string = sep
  for (let hops = 0; todo.length > 0; ) {
    const next = join(at, todo.shift() as string)
    const st = await lstat(next).catch(() => undefined)
    if (st === undefined) return // the rest is made by the run, as directories
    if (!st.isSymbolicLink()) {
      at = next
      continue
    }
    const side = sides.find(({ roots }) => roots.some((root) => next.startsWith(`${root}${sep}`)))?.name
    if (side !== undefined) {
      throw usageError(
        `--backup-dir ${JSON.stringify(spec.location)} goes through the symlink ${JSON.stringify(next)}, which is inside the ${side}`,
        `Kept files would land where that link points, which whoever may write the ${side} chose: give a real directory, outside the ${side} (beside it: ../backup).`,
      )
    }
    if (++hops > 40) return // a loop: the backend's own open says so
    const to = await readlink(next)
    todo.unshift(...resolve(at, to).split(sep).filter(Boolean))
    at = sep
  }
}

/**
 * A local `--backup-dir` that exists must be a directory (or a symlink to one): a file, a device or
 * a dangling symlink failed every file of the run on its own, exit 1, and a dry run said nothing
 * (QA 24 #6). One that does not exist yet is made by the first file kept.
 */
async function assertLocalDirectory(location: string): Promise<void> {
  const path = localPathOf(location)
  if (path === undefined) return
  const link = await lstat(path).catch(() => undefined)
  if (link === undefined) return
  const st = await stat(path).catch(() => undefined)
  const where = JSON.stringify(location)
  if (st === undefined) {
    const to = link.isSymbolicLink() ? await readlink(path).catch(() => '?') : '?'
    throw usageError(
      `--backup-dir ${where} is a symlink to ${JSON.stringify(to)}, which does not exist`,
      'Point it at an existing directory, or give a directory path.',
    )
  }
  if (!st.isDirectory()) {
    throw usageError(
      `--backup-dir ${where} is ${st.isFile() ? 'a file' : 'a special file'}, not a directory`,
      'Give a directory (it is made if missing), e.g. ../backup.',
    )
  }
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
  // Where it is local: its directories are made 0700, then given the target's directory modes, never
  // writable by others (a file private by its directory stays private; a restore gives the modes
  // back: review 24 #3, 24b B2); an interrupted run's temp files are removed where a run writes
  // next (QA 24 #4); and one inside a side is pinned to the directory checked (review 24b B1).
  const targetDir = localPathOf(spec.target)
  const pinned = options.dryRun === true ? undefined : await pinInsideSide(spec)
  const backup = await registry.open(spec.location, {
    ...options,
    privateDirs: true,
    sweepWrittenDirs: true,
    ...(targetDir !== undefined ? { dirModesFrom: resolve(targetDir) } : {}),
    // A watch whose target is replaced (renamed away, made anew) pins the one inside the new target.
    ...(pinned !== undefined ? { rootIdentity: pinned, repinRoot: () => pinInsideSide(spec) } : {}),
  })
  try {
    const targetFilter = spec.deleteExcluded ? undefined : spec.filter
    const [target, source] = [
      { source: opened.target, target: backup },
      { source: opened.source, target: backup },
    ]
    await assertNoSharedDirectory(spec.target, spec.location, target, names('target', spec), { source: targetFilter })
    await assertNoSharedDirectory(spec.source, spec.location, source, names('source', spec), { source: spec.filter })
    // A `syncflow serve --read-only` takes no file to keep: said now (exit 2), as such a server is as
    // a target, not as one PERMISSION failure per file (QA 30b). Its Hello says so in `features`.
    const features = (backup as { readonly features?: unknown }).features
    if (options.dryRun !== true && features instanceof Set && features.has('readOnly')) {
      throw new SyncError(
        'PERMISSION',
        `--backup-dir ${JSON.stringify(spec.location)}: this server is read-only (syncflow serve --read-only): it cannot keep the old files`,
        { hint: 'Give a --backup-dir the run may write to, or restart `syncflow serve` there without --read-only.' },
      )
    }
    // A remote one that cannot be reached, or refuses the credentials, is said now (exit 2), not as
    // one failure per file, each tried four times (review 24 #11). Read-only: a dry run asks too.
    if (localPathOf(spec.location) === undefined) {
      // (A prefix that does not exist yet is fine; a bucket that does not exist is said as such.)
      const probe = async (): Promise<void> => {
        if (!(await backup.rootExists())) await explainMissing(backup, new AbortController().signal)
      }
      await probe().catch((err: unknown) => {
        const e = asSyncError(err, 'backup')
        throw new SyncError(e.code, `--backup-dir ${JSON.stringify(spec.location)}: ${bareMessage(e)}`, {
          cause: err,
          ...(e.hint !== undefined ? { hint: e.hint } : {}),
        })
      })
    }
    return backup
  } catch (err) {
    await backup.close().catch(() => {})
    throw err
  }
}

function names(side: 'source' | 'target', spec: BackupDirSpec): OverlapNames {
  // restore's sides as its user named them: 'source "<its DST>"' was said for its backup (QA 25d).
  const hint = spec.sideNames
    ? `Choose a --backup-dir outside the ${spec.sideNames.target} and the ${spec.sideNames.source}, or leave it out of them with --exclude /PATH (its path inside).`
    : BACKUP_HINT
  return { source: spec.sideNames?.[side] ?? side, target: '--backup-dir', hint }
}
