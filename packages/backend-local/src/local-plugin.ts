import { fileURLToPath } from 'node:url'
import { type BackendPlugin, SyncError } from '@syncflow/core'
import type { FencedDirectory } from './fence.js'
import { createLocalBackend } from './local-backend.js'
import type { SymlinkPolicy } from './walk-sorted.js'

/** The root directory of a bare path or `file://` URI. */
export function localRootOf(uri: string): string {
  if (!/^file:/i.test(uri)) return uri
  try {
    return fileURLToPath(uri)
  } catch (err) {
    throw new SyncError('USAGE', `not a local file URI: ${JSON.stringify(uri)}`, {
      hint: 'Write file:///absolute/path (three slashes), or give a plain path.',
      cause: err,
    })
  }
}

/**
 * The local-directory plugin: bare paths and `file://` URIs. A plain object that registers
 * nothing at import time; `registerBackend(localBackend)` makes it available to `openBackend`.
 * Option `symlinks`: `preserve` (default, like rsync -a), `follow` (rsync -L) or `skip`; option
 * `fenceOff` (`FencedDirectory[]`): what a `follow` listing never enters (see `LocalBackendOptions`);
 * option `oneFileSystem` (boolean): directories on another file system are not entered; option
 * `privateDirs` (boolean): the directories it makes are 0700, and option `sweepWrittenDirs` (boolean):
 * stale temp files are removed from each directory it writes to; option `dirModesFrom` (a path): the
 * directories it makes take the modes of their namesakes there; option `rootIdentity` (`dev:ino`): every
 * write checks the root is still that directory, and option `repinRoot` (a function) gives the one to
 * pin when it is not (all for a `--backup-dir`).
 */
export const localBackend: BackendPlugin = {
  name: 'local',
  schemes: ['file'],
  async open(uri, options) {
    const root = localRootOf(uri)
    if (root === '' || root.includes('\0')) {
      throw new SyncError('USAGE', `invalid local path ${JSON.stringify(uri)}`, { hint: 'Give a directory path.' })
    }
    const symlinks = options.symlinks as SymlinkPolicy | undefined
    const fenceOff = options.fenceOff as readonly FencedDirectory[] | undefined
    return createLocalBackend({
      root,
      ...(symlinks !== undefined ? { symlinks } : {}),
      ...(fenceOff !== undefined ? { fenceOff } : {}),
      ...(options.oneFileSystem === true ? { oneFileSystem: true } : {}),
      ...(options.privateDirs === true ? { privateDirs: true } : {}),
      ...(options.sweepWrittenDirs === true ? { sweepWrittenDirs: true } : {}),
      ...(typeof options.dirModesFrom === 'string' ? { dirModesFrom: options.dirModesFrom } : {}),
      ...(typeof options.rootIdentity === 'string' ? { rootIdentity: options.rootIdentity } : {}),
      ...(typeof options.repinRoot === 'function'
        ? { repinRoot: options.repinRoot as () => Promise<string | undefined> }
        : {}),
    })
  },
}
