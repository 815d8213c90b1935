import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { toSyncError } from './to-sync-error.js'

/**
 * fsyncs the directories that hold `paths` (relative to `root`, `/`-separated) and each directory
 * above them up to `root`, once each: a file renamed (or linked) into a directory is on disk with
 * its name only once that directory is, and a directory made for it only once its parent is. A
 * directory that is gone fails (`NOT_FOUND`): what it held is not there to rely on.
 */
export async function fsyncDirs(root: string, paths: readonly string[]): Promise<void> {
  const dirs = new Set<string>()
  for (const path of paths) {
    let at = path
    while (at !== '') {
      const cut = at.lastIndexOf('/')
      at = cut < 0 ? '' : at.slice(0, cut)
      if (dirs.has(at)) break
      dirs.add(at)
    }
  }
  for (const dir of dirs) {
    const abs = dir === '' ? root : join(root, dir)
    let handle: Awaited<ReturnType<typeof open>> | undefined
    try {
      handle = await open(abs, constants.O_RDONLY | constants.O_DIRECTORY)
      await handle.sync()
    } catch (err) {
      throw toSyncError(err, 'flush', dir)
    } finally {
      await handle?.close().catch(() => {})
    }
  }
}

/**
 * fsyncs the files at `paths` (relative to `root`), opened without following a symlink (a link's
 * own name is made durable with its directory): their data and metadata on disk, for files this
 * process did not write itself. A file that is gone fails (`NOT_FOUND`).
 */
export async function fsyncFiles(root: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    let handle: Awaited<ReturnType<typeof open>> | undefined
    try {
      handle = await open(join(root, path), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      await handle.sync()
    } catch (err) {
      // A symlink (ELOOP under O_NOFOLLOW) holds no data: its name goes with its directory's fsync.
      if ((err as { code?: string }).code === 'ELOOP') continue
      throw toSyncError(err, 'flush', path)
    } finally {
      await handle?.close().catch(() => {})
    }
  }
}
