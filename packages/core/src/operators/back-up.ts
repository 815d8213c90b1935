import { pipeline, type Readable } from 'node:stream'
import { type Backend, supports, type WriteMeta } from '../backend/backend.js'
import { expectMismatch } from '../backend/expect-mismatch.js'
import { unwrapBackend } from '../continuous/backend-view.js'
import { bareMessage, isSyncError, SyncError } from '../errors/sync-error.js'
import type { Entry } from '../model/entry.js'
import { type RelPath, toRelPath } from '../model/rel-path.js'
import type { RateLimiter } from '../util/rate-limiter.js'
import { untilAborted } from '../util/until-aborted.js'
import { readOfTarget } from './size-mismatch.js'

/** What `backUp` needs to know of the action it runs for. */
export interface BackUpOptions {
  /** The target entry the action was planned against: one that changed since is not kept (CONFLICT). */
  readonly planned?: Entry
  /**
   * What an earlier attempt of the action kept, and expected at the path afterwards: the target
   * still holding it is kept already (nothing more is done); one that changed since is a CONFLICT.
   */
  readonly kept?: Entry
  /** The path in the backup (`keptPathOf`: with a suffix). [`path`] */
  readonly as?: RelPath
  /** The run's bandwidth limit, for bytes copied through this process. [none] */
  readonly limiter?: RateLimiter
  /**
   * The run's abort signal: the target's read (and stat) of the old file is raced against it, so a
   * plugin target whose read() never settles does not keep a stopped run waiting (fx26-a #3). [none]
   */
  readonly signal?: AbortSignal
  /**
   * `as` must be free: nothing there is replaced (`CONFLICT` instead). A two-way run's conflict
   * copy: one kept earlier under the same name is another version, never to be overwritten. [false:
   * a backup directory's older copy at `as` is replaced, as rsync's]
   */
  readonly fresh?: boolean
}

/**
 * Where `path` is kept in the backup: the same path, its name with `suffix` added (rsync's and
 * rclone's `--suffix`: `a/f.txt` → `a/f.txt-2026-12-05`), before the extension with `keepExtension`
 * (rclone's `--suffix-keep-extension`: `a/f-2026-12-05.txt`; a name whose only dot leads it, a
 * dotfile, takes it at the end).
 * @throws SyncError `INVALID_PATH` when the name so made is not a valid path (too long).
 */
export function keptPathOf(path: RelPath, suffix: string | undefined, keepExtension = false): RelPath {
  if (suffix === undefined || suffix === '') return path
  const slash = path.lastIndexOf('/')
  const name = path.slice(slash + 1)
  const dot = keepExtension ? name.lastIndexOf('.') : -1
  const kept = dot > 0 ? `${name.slice(0, dot)}${suffix}${name.slice(dot)}` : `${name}${suffix}`
  return toRelPath(`${path.slice(0, slash + 1)}${kept}`, 'backup')
}

/**
 * Keeps what the target has at `path` in `backup`, under the same path, before it is replaced or
 * deleted (rsync's and rclone's `--backup-dir`). The cheapest way the two backends allow: a hard
 * link (two local directories on one filesystem), a server-side copy (S3 to S3 on one service, a
 * local copy between two directories), else the bytes read from the target and written to the
 * backup. A file is kept with its mtime and mode; a symlink as a symlink; a directory is not kept
 * (its files are, each before its own delete). Nothing there (gone since planned): nothing to keep.
 *
 * Returns the target's entry as it is after the backup, for the action to expect (a hard link
 * changes a local file's ctime, which its version holds), or undefined when there was nothing to
 * keep. Throws CONFLICT when the target's file is no longer the one planned (nothing kept), and
 * whatever kept the file from being kept: the action then fails, so the file is neither replaced
 * nor deleted (and a failed run deletes nothing anyway).
 */
export async function backUp(
  target: Backend,
  backup: Backend,
  path: RelPath,
  opts: BackUpOptions = {},
): Promise<Entry | undefined> {
  try {
    const now = await untilAborted(() => target.stat(path), opts.signal, 'stat', path)
    if (now === undefined || now.kind === 'dir') return undefined
    // (Against the entry kept by an earlier attempt, not the one planned: a hard link changed its ctime.)
    const expected = opts.kept ?? opts.planned
    const mismatch = expected !== undefined ? expectMismatch(now, expected) : undefined
    // A version that changed alone (kind, size and mtime as planned) is a local file's ctime, moved
    // by the hard link this run made to another name of it (a group of hard links in the target:
    // each name failed in turn, one run each, review 24b B4), or by a chmod: what is there is kept,
    // and is what the action then expects.
    const metadataOnly =
      mismatch === 'changed' &&
      expected !== undefined &&
      now.kind === expected.kind &&
      now.size === expected.size &&
      now.mtimeMs === expected.mtimeMs
    if (mismatch !== undefined && !metadataOnly) {
      throw new SyncError('CONFLICT', `destination ${mismatch} since it was planned; left untouched`, {
        op: 'backup',
        path,
        hint: 'It was changed meanwhile: run the sync again.',
      })
    }
    if (opts.kept !== undefined) return now
    // Handed to the backup's own methods as itself, not as a watch's view of it (a proxy: the
    // local backend's private members are not reachable through one).
    const held = unwrapBackend(target)
    const as = opts.as ?? path
    const names = keptNamesOf(backup)
    const claim = names.claim(as)
    let kept: Entry | undefined
    try {
      if (claim.previous !== undefined) await refuseFoldedName(backup, as, claim.previous)
      const done = await keepAs(backup, held, target, now, path, as, opts.limiter, opts.signal, opts.fresh === true)
      kept = done.kept
      return done.expect
    } finally {
      claim.settle(kept)
    }
  } catch (err) {
    if (!isSyncError(err)) throw err
    if (err.op === 'backup') throw err
    // Interrupted: said as the stop it is, not as a failed backup.
    if (err.code === 'ABORTED' && opts.signal?.aborted) throw err
    // Gone from the target meanwhile: nothing to keep (a delete then finds it gone, as without a backup).
    if (err.code === 'NOT_FOUND' && (await target.stat(path).catch(() => null)) === undefined) return undefined
    // Said as what it is: the backup failed, so the target's file was left as it is. The hint is
    // the backup directory's, not the target's (QA 24 #5: "free space on the target").
    throw new SyncError(
      err.code,
      `could not keep the old file in the backup directory (${err.op ?? 'backup'}: ${bareMessage(err)}); left as it is`,
      {
        op: 'backup',
        path,
        cause: err,
        hint: backupHint(err, backup, (opts.as ?? path) !== path),
        // A backup server that cannot be reached is still said so (QA 30b): without it, a grpc://
        // --backup-dir killed mid-run had every remaining file tried and failed one by one (38 s
        // for 80 files, exit 1) where the run stops, as for a target that went down.
        ...(err.unreachable !== undefined ? { unreachable: err.unreachable } : {}),
      },
    )
  }
}

/**
 * Keeps the target's `now` at `as` in the backup, the cheapest way (see `backUp`): what is kept
 * there (`kept`, the backup's entry), and what the target is to be expected to be from then on.
 */
async function keepAs(
  backup: Backend,
  held: Backend,
  target: Backend,
  now: Entry,
  path: RelPath,
  as: RelPath,
  limiter: RateLimiter | undefined,
  signal: AbortSignal | undefined,
  fresh: boolean,
): Promise<{ kept: Entry; expect: Entry }> {
  const free = fresh ? { expect: null } : {}
  if (supports.linkFrom(backup)) {
    // The linked file's entry, not a new stat of the target by path: a file saved over it since
    // would be expected, and then replaced unkept (review 24 #2). One name, one version.
    const linked = await backup.linkFrom(held, path, as, { expect: now, ...(fresh ? { targetExpect: null } : {}) })
    // (The version of a file with other names moves with each name this run links: a group of hard
    // links in the target. The local backend's own expect check lets a ctime that moved alone pass.)
    if (linked !== undefined) return { kept: linked, expect: { ...linked, path } }
  }
  if (now.kind === 'symlink') {
    if (!supports.symlink(backup) || now.linkTarget === undefined) {
      throw new SyncError('UNSUPPORTED', 'the backup directory cannot store symlinks', {
        op: 'backup',
        path,
        hint: 'Give a --backup-dir on a backend that keeps symlinks (a local directory), or exclude the symlink.',
      })
    }
    await backup.symlink(as, now.linkTarget, free)
    // Its own mtime too, as a sync keeps it (best effort: not every system can set it).
    const st = supports.setMtime(backup) ? await backup.setMtime(as, now.mtimeMs).catch(() => undefined) : undefined
    return { kept: st ?? now, expect: now }
  }
  const meta: WriteMeta = {
    size: now.size,
    mtimeMs: now.mtimeMs,
    ...(now.mode !== undefined ? { mode: now.mode } : {}),
    ...(now.hashes ? { hashes: now.hashes } : {}),
  }
  // The file checked above: one edited since fails its read where the target can tell.
  const readOptions = { expect: now }
  // As the transfers: a direct copy only without a --bwlimit (a limited run streams, limited).
  const copied =
    limiter === undefined && supports.copyFrom(backup)
      ? await backup.copyFrom(held, path, as, meta, { readOptions, ...free })
      : undefined
  if (copied !== undefined) return { kept: copied, expect: now }
  // (Raced against the run's signal: a plugin target's read that never settles, fx26-a #3.)
  const body = await readOfTarget(target, path, undefined, signal, readOptions)
  // Under the run's --bwlimit, as the transfers' bytes are (review 24 #17).
  const throttle = limiter?.throttle()
  const stream = throttle ? (pipeline(body, throttle, () => {}) as unknown as Readable) : body
  try {
    return { kept: await backup.write(as, stream, meta, free), expect: now }
  } finally {
    body.destroy()
  }
}

/**
 * What to do about a backup that failed on something in its way there (a file an earlier run kept
 * where a directory must now go, or the reverse): said once a run (QA 24 #7).
 */
export const BACKUP_IN_THE_WAY_HINT =
  'Something already in the backup directory is in the way (a file where a directory must go, or the reverse: kept by an earlier run, or by this one for a path whose kind changed): move it away, or give each run a new --backup-dir (e.g. ../old/$(date +%F)). The target keeps its files meanwhile.'

/**
 * What to do about a file not kept because its name in the backup (with the --suffix) is too long
 * there: the run's setting, said once a run without -v (QA 30b; QA 29e saw it only with -v).
 */
export const BACKUP_NAME_TOO_LONG_HINT =
  'The name is too long for the backup directory (with its --suffix): use a shorter --suffix, or none. The target keeps its file meanwhile.'

/**
 * The same without a --suffix: the target's own path, too long only under the backup's longer
 * root (a deeper directory, a longer S3 prefix), which was told to shorten a suffix (review 30).
 */
export const BACKUP_PATH_TOO_LONG_HINT =
  "The path is too long in the backup directory, whose root is deeper (or its S3 prefix longer) than the target's: give a --backup-dir with a shorter path. The target keeps its file meanwhile."

function backupHint(err: SyncError, backup: Backend, suffixed: boolean): string {
  switch (err.code) {
    case 'NO_SPACE':
      return `The backup directory's filesystem is full: free space where ${backup.uri} lives, or give a --backup-dir with room. The target keeps its files meanwhile.`
    case 'CONFLICT':
    case 'INVALID_PATH': {
      // (Told apart by what the backend said: review 24 #9.)
      const said = bareMessage(err)
      // (S3's own limit says "the key would be N bytes": it was told as something in the way, QA 30b.)
      if (/ENAMETOOLONG|too long|the key would be \d+ bytes/i.test(said)) {
        return suffixed ? BACKUP_NAME_TOO_LONG_HINT : BACKUP_PATH_TOO_LONG_HINT
      }
      // A file changed on the target while it was being kept, or a backup root replaced during the
      // run: not something an earlier run left (review 24b).
      if (/since it was planned/.test(said)) return 'It was changed meanwhile on the target: run the sync again.'
      if (/no longer the directory checked/.test(said)) return err.hint ?? BACKUP_IN_THE_WAY_HINT
      if (/symlink/i.test(said)) {
        return `A directory on the way in ${backup.uri} is a symlink, which is never written through: make it a real directory, or give another --backup-dir. The target keeps its file meanwhile.`
      }
      return BACKUP_IN_THE_WAY_HINT
    }
    default:
      return err.hint ?? `Check that ${backup.uri} can be written to.`
  }
}

/**
 * The names this process kept in a backup, by their case- and normalization-folded form, with what
 * was kept there: a backup directory on a filesystem that folds names (exFAT, NTFS, SMB) takes
 * `report.txt` for the `Report.txt` kept a moment ago, and a second keep would replace the first's
 * old file while both counted as kept (review 24 #4). Bounded: forgotten past 100,000 names.
 */
class KeptNames {
  readonly #byFolded = new Map<string, KeptName>()

  /**
   * `path` is being kept: what another name that folds to the same was kept as this run (or is
   * being kept as: settled once that keep ends), and `settle` to say what `path` was kept as.
   */
  claim(path: string): { previous?: KeptName; settle(entry: Entry | undefined): void } {
    const key = fold(path)
    const before = this.#byFolded.get(key)
    let settle: (entry: Entry | undefined) => void = () => {}
    const mine: KeptName = { path, entry: new Promise<Entry | undefined>((resolve) => (settle = resolve)) }
    if (this.#byFolded.size >= 100_000) this.#byFolded.clear()
    this.#byFolded.set(key, mine)
    return { ...(before !== undefined && before.path !== path ? { previous: before } : {}), settle }
  }
}

/** A name kept (or being kept) in a backup, and what was kept there (undefined: the keep failed). */
interface KeptName {
  readonly path: string
  readonly entry: Promise<Entry | undefined>
}

const keptNames = new WeakMap<Backend, KeptNames>()

function keptNamesOf(backup: Backend): KeptNames {
  let names = keptNames.get(backup)
  if (names === undefined) {
    names = new KeptNames()
    keptNames.set(backup, names)
  }
  return names
}

const fold = (path: string): string => path.normalize('NFC').toLowerCase()

/**
 * Refuses to keep a file under `as` when the backup answers for that name with the file this run
 * kept under another (`Report.txt` then `report.txt`): the backup folds names, and keeping it would
 * replace the other's old version. No request unless such a pair comes up.
 * @throws SyncError `CONFLICT`
 */
async function refuseFoldedName(backup: Backend, as: RelPath, previous: KeptName): Promise<void> {
  const other = await previous.entry
  if (other === undefined) return
  const there = await backup.stat(as)
  const same =
    there !== undefined &&
    (there.version !== undefined && other.version !== undefined
      ? there.version === other.version
      : there.size === other.size && there.mtimeMs === other.mtimeMs)
  if (!same) return
  throw new SyncError(
    'CONFLICT',
    `the backup directory does not tell this name from ${JSON.stringify(previous.path)}, kept this run`,
    {
      op: 'backup',
      path: as,
      hint: `${backup.uri} folds upper and lower case (a FAT, exFAT or NTFS disk, an SMB share): keeping this file would replace the other's old version. Give a --backup-dir on a filesystem that tells them apart; the target keeps its file meanwhile.`,
    },
  )
}
