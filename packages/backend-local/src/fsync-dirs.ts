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
