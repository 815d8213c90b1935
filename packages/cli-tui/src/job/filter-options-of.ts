import { type PathFilterOptions, type RelPath, SyncError, toRelPath } from '@syncflow/core'
import type { JobFlags } from '../options/job-flags.js'

/**
 * The filter options the flags give (`--include`, `--exclude`, their `-from` files already merged
 * in, `--files-from`), for a sync's filter, the overlap check and `ls` alike. A listed path that is
 * not a safe RelPath (a control character, a name too long) is a usage error naming it.
 */
export function filterOptionsOf(flags: JobFlags): PathFilterOptions {
  return {
    ...(flags.include?.length ? { include: flags.include } : {}),
    ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
    ...(flags.filesFrom !== undefined ? { filesFrom: flags.filesFrom.map(listedPath) } : {}),
  }
}

function listedPath(path: string): RelPath {
  try {
    return toRelPath(path, '--files-from path')
  } catch (err) {
    throw new SyncError('USAGE', `--files-from: ${err instanceof Error ? err.message : String(err)}`, {
      hint: 'List paths below the source root, one per line (rename or leave out the one named).',
    })
  }
}
