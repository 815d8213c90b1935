import type { Stats } from 'node:fs'
import { chmod, chown, stat, utimes } from 'node:fs/promises'
import { localPathOf } from './local-path-of.js'

/**
 * Gives a local target's root the mode and mtime of a local source's root once the run is done,
 * as `rsync -a SRC/ DST` does for DST (QA 22 #8: a 0700 `~/.ssh` synced into a 0755 directory left
 * its names listable by everyone, and `check` said "In sync"). Best effort: the root's metadata is
 * not worth failing a run that copied everything (a root the user does not own refuses a chmod).
 * The engine never sees the root itself (its paths are below it), so this is the CLI's, as making
 * the root is (`prepareLocalTarget`).
 */
export async function finishLocalTarget(sourceLocation: string, targetLocation: string): Promise<void> {
  const roots = await localRootDirs(sourceLocation, targetLocation)
  if (roots === undefined) return
  const { s, t, target } = roots
  // Its group too, where the user is in it, as the directories below get theirs (the local
  // backend's mkdir) and as rsync -a gives DST its group: a team's 2775 directory of group `proj`
  // was copied into a root of the user's own group, which the other members could not write into
  // (QA 31b #2). Not as root: a directory a root run makes stays root's (see the local backend's
  // `#ownerFrom`). Before the mode: a chown may clear a set-id bit.
  const uid = process.getuid?.()
  if (uid !== undefined && uid !== 0 && t.uid === uid && s.gid !== t.gid) {
    await chown(target, -1, s.gid).catch(() => {})
  }
  const mode = (await stat(target).catch(() => t)).mode
  if ((s.mode & 0o7777) !== (mode & 0o7777)) await chmod(target, s.mode & 0o7777).catch(() => {})
  if (Math.abs(s.mtimeMs - t.mtimeMs) >= 0.001) await setMtime(target, t.atime, s.mtimeMs)
}

/**
 * Gives a local target's root the mtime of a local source's root, as `finishLocalTarget` does, but
 * not its mode: for the end of each `watch` cycle, while the job holds the root writable. A watch
 * left the root with the mtime of its last write, and once `check` compared the roots' mtimes, as
 * rsync -ain does, it reported `touch .` after every watch (QA 30e). Best effort, as there.
 */
export async function finishLocalTargetMtime(sourceLocation: string, targetLocation: string): Promise<void> {
  const roots = await localRootDirs(sourceLocation, targetLocation)
  if (roots === undefined) return
  const { s, t, target } = roots
  if (Math.abs(s.mtimeMs - t.mtimeMs) >= 0.001) await setMtime(target, t.atime, s.mtimeMs)
}

/**
 * The root's mtime to the microsecond, as the local backend sets every other directory's and file's
 * (`utimeSeconds`): given `stat().mtime`, a Date, it kept the millisecond only (`.123456789` came
 * out `.123`, where rsync -a keeps it whole; QA 31c). Best effort, as the rest.
 */
async function setMtime(target: string, atime: Date, mtimeMs: number): Promise<void> {
  const { utimeSeconds } = await import('@syncflow/backend-local')
  await utimes(target, atime, utimeSeconds(mtimeMs)).catch(() => {})
}

/** Both roots' stats and the target root's path, when both locations are local directories. */
async function localRootDirs(
  sourceLocation: string,
  targetLocation: string,
): Promise<{ s: Stats; t: Stats; target: string } | undefined> {
  const source = localPathOf(sourceLocation)
  const target = localPathOf(targetLocation)
  if (source === undefined || target === undefined) return undefined
  const [s, t] = await Promise.all([stat(source), stat(target)]).catch(() => [])
  return s?.isDirectory() && t?.isDirectory() ? { s, t, target } : undefined
}
