import { constants } from 'node:fs'
import { access, chmod, lstat, readlink, rmdir, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { decodableRealPath, makeDirectories, toSyncError } from '@syncflow/backend-local'
import { SyncError } from '@syncflow/core'
import { localPathOf } from './local-path-of.js'
import { theSide } from './the-side.js'

/** What is left to do about a local target once the job ends. */
export interface PreparedTarget {
  /** Gives an existing root its own mode back, where it was made writable for the run: on every close. */
  readonly restore?: () => Promise<void>
  /**
   * Removes the directories made for a missing target, those still empty, deepest first: for a job
   * refused after they were made (its lock held by another run, its state store unreachable), which
   * left an empty target behind where it said it had changed nothing.
   */
  readonly unmake?: () => Promise<void>
}

/** What an errno means here, said in the message. */
const CANNOT_MAKE: Record<string, string> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no directory can be made there (ENOENT)',
  ENOSPC: 'no space left on the device',
}

/**
 * A local target that is a file, or lies below one, is refused before the run with the same one
 * message a file source gets (QA 12 #8): found by the run's listing instead, it was printed as a
 * failed action on the target. A missing target is made now (`create`: not for a dry run or a
 * read-only command), as rsync makes it first: left to each write, a target that cannot be made
 * (a read-only file system, no parent) failed every file with the same error, and exit 1
 * (QA 14 #3). Remote targets say so through their own listing, at no extra request.
 */
export async function prepareLocalTarget(
  location: string,
  name: string,
  create: boolean,
  source: string,
): Promise<PreparedTarget | undefined> {
  const local = localPathOf(location)
  if (local === undefined) return undefined
  const found = await stat(local).then(
    (st) => (st.isDirectory() ? 'directory' : 'file'),
    (err: NodeJS.ErrnoException) => (err.code === 'ENOTDIR' ? 'below-file' : 'other'),
  )
  if (found === 'other') await refuseDanglingLink(local, location, name)
  if (found === 'file') {
    throw new SyncError('USAGE', `${theSide(name)} ${JSON.stringify(location)} is a file, not a directory`, {
      hint: 'Give a directory (syncflow makes it if it does not exist). syncflow never replaces a file by a directory: to do that, remove the file first.',
    })
  }
  if (found === 'below-file') {
    throw new SyncError('USAGE', `${theSide(name)} ${JSON.stringify(location)} lies below a file, not a directory`, {
      hint: 'Give a directory, or a path where one can be made (every part above it a directory).',
    })
  }
  // Refused now (exit 2), not by each write: its writes would land in another directory (QA 25a #3).
  if (found === 'directory') decodableRealPath(local)
  if (found === 'directory' && create) {
    // A target on a read-only file system (a USB disk the kernel remounted read-only after an
    // error, a `mount -o ro`) is refused now, with one message and exit 2, as one that cannot be
    // made is: left to each write, every file failed alone with EROFS, exit 1 (QA 30i #3).
    // Only EROFS: a root we may not write in may still hold directories we may write in.
    await access(local, constants.W_OK).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EROFS') return
      throw new SyncError('PERMISSION', `${theSide(name)} ${JSON.stringify(location)} is on a read-only file system`, {
        cause: err,
        hint: 'Remount it read-write (mount -o remount,rw …; a disk the kernel made read-only after an error wants fsck first), or give another directory.',
      })
    })
    // A root whose mode denies its owner writing (a 0555 source root's copy, given its mode at the
    // end of the last run: finishLocalTarget) is made writable for the run, as the engine does with
    // such directories below it. Its own mode is given back when the job closes, whatever its end
    // (interrupted, failed, a watch stopped, a source that is not local: finishLocalTarget then
    // gives it nothing), before the source root's is given by a run that finished. Root writes
    // into it as it is.
    const st = await stat(local)
    const euid = process.geteuid?.()
    if ((st.mode & 0o700) !== 0o700 && st.uid === euid && euid !== 0) {
      const mode = st.mode & 0o7777
      const loosened = await chmod(local, mode | 0o700).then(
        () => true,
        () => false,
      )
      return loosened ? { restore: () => chmod(local, mode).catch(() => {}) } : undefined
    }
  }
  if (found === 'other' && create) {
    // Not Node's `mkdir` with `recursive`: it retries for ever where a directory cannot be made.
    // Only what this call made is taken away again, never one another run of the job made meanwhile.
    const made = await makeDirectories(local).catch((err: NodeJS.ErrnoException) => {
      // The code the local backend gives the same errno (PERMISSION for EACCES, EPERM and EROFS).
      const denied = toSyncError(err, 'mkdir', local).code === 'PERMISSION'
      throw new SyncError(
        denied ? 'PERMISSION' : 'NOT_FOUND',
        `${theSide(name)} ${JSON.stringify(location)} cannot be made: ${CANNOT_MAKE[err.code ?? ''] ?? err.code ?? err.message}`,
        {
          cause: err,
          hint: denied
            ? 'Give a directory you may write in, or make it yourself with the rights to.'
            : 'Give a path whose parent directory exists and can hold a directory.',
        },
      )
    })
    // A target made now gets the permissions of a local source's root, as `rsync -a SRC/ DST` gives
    // them (a private 0700 source must not become a 0755 backup anyone can list), kept writable by
    // its owner so that the run can write into it.
    const sourceRoot = localPathOf(source)
    const st = sourceRoot === undefined ? undefined : await stat(sourceRoot).catch(() => undefined)
    if (st !== undefined) await chmod(local, (st.mode & 0o7777) | 0o700).catch(() => {})
    return {
      unmake: async () => {
        // (rmdir removes only an empty directory: anything put in one meanwhile keeps it, and those above.)
        for (const dir of made) {
          const removed = await rmdir(dir).then(
            () => true,
            () => false,
          )
          if (!removed) return
        }
      },
    }
  }
  return undefined
}

/**
 * A target that is a symlink leading nowhere (dangling, or a loop), or that lies below one, is
 * refused with one message (QA 22 #4): `mkdir` finds the link there (EEXIST) and makes nothing, so
 * each write of the run failed alone ("the root … is missing", 20,858 lines on a big tree, exit 1),
 * while a dry run and `check` saw an empty target and reported nothing wrong. Called only when
 * `stat` of the target failed; says nothing when no symlink is to blame (a plain missing path).
 */
async function refuseDanglingLink(local: string, location: string, name: string): Promise<void> {
  for (let path = local; ; path = dirname(path)) {
    const st = await lstat(path).catch(() => undefined)
    if (st !== undefined) {
      if (!st.isSymbolicLink()) return // the first part that exists is no link: a plain missing path
      const to = await readlink(path).catch(() => undefined)
      if (to === undefined) return
      const looping = await stat(path).then(
        () => undefined, // it leads somewhere (a directory above a missing target): not to blame
        (err: NodeJS.ErrnoException) => err.code === 'ELOOP',
      )
      if (looping === undefined) return
      const what = `a symlink to ${JSON.stringify(to)}, which ${looping ? 'leads back to itself (a loop of symlinks)' : 'does not exist'}`
      const resolved = resolve(dirname(path), to)
      throw new SyncError(
        'USAGE',
        path === local
          ? `${theSide(name)} ${JSON.stringify(location)} is ${what}`
          : `${theSide(name)} ${JSON.stringify(location)} lies below ${JSON.stringify(path)}, ${what}`,
        {
          hint: looping
            ? `Point the link ${path} at a directory, or remove it (syncflow then makes a directory there).`
            : `Make the directory it points to (mkdir -p ${resolved}), or remove the link ${path} (syncflow then makes a directory there). syncflow does not make a directory through a symlink.`,
        },
      )
    }
    if (dirname(path) === path) return
  }
}
