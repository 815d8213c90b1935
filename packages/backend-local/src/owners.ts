import { fchownSync, type Stats } from 'node:fs'
import { errnoOf } from './to-sync-error.js'

/** setuid and setgid: a file keeps them only under an owner it was given on purpose. */
export const SET_ID_BITS = 0o6000

/**
 * True when this process may give files away (root), as `rsync -a` keeps owners only then. A
 * write of unknown owner by such a process clears the set-id bits of what it writes (see
 * `modeToWrite`), and a copy from a local source keeps the source's owner (see `keepOwner`).
 */
export function writesAsRoot(): boolean {
  return process.geteuid?.() === 0
}

/**
 * The mode a file written from a body of unknown owner (`write`: bytes from S3, `syncflow serve`'s
 * client, a plugin) gets: as root without the setuid and setgid bits, as `cp` without `-p` does.
 * The file is root's: kept, a user's setuid program would come out setuid-root (QA 22 #1).
 */
export function modeToWrite(mode: number, asRoot = writesAsRoot()): number {
  return asRoot ? mode & 0o7777 & ~SET_ID_BITS : mode & 0o7777
}

/**
 * Gives the open file `fd` (a temp file not yet renamed into place) the owner of `source` as
 * `rsync -a` does: owner and group as root; as anyone else the group (refused quietly when the
 * user is not in it: the file keeps the group it was made with). Call it BEFORE the mode is set: a chown
 * clears the setuid and setgid bits on Linux. Returns the mode to set: `mode`, or, where root could
 * not give the file away (a filesystem without owners: vfat, an NFS export squashing root), `mode`
 * without its set-id bits, which must never stay on a file of root's that was a user's.
 */
export function keepOwner(fd: number, source: Pick<Stats, 'uid' | 'gid'>, mode: number): number {
  const asRoot = writesAsRoot()
  try {
    // As anyone else always tried (a µs): the temp file's group may be a setgid directory's, not ours.
    fchownSync(fd, asRoot ? source.uid : -1, source.gid)
  } catch (err) {
    const code = errnoOf(err)
    if (code !== 'EPERM' && code !== 'EINVAL' && code !== 'ENOTSUP') throw err
    // Not a group of ours (the file keeps the group it was made with), or root refused.
    if (asRoot) return modeToWrite(mode, true)
  }
  return mode & 0o7777
}
