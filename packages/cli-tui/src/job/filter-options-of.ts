import { type PathFilterOptions, type RelPath, SyncError, toRelPath } from '@syncflow/core'
import type { JobFlags } from '../options/job-flags.js'

/**
 * The filter options the flags give (`--include`, `--exclude`, their `-from` files already merged
 * in, `--files-from`), for a sync's filter, the overlap check and `ls` alike. A listed path that is
 * not a safe RelPath (a control character, a name too long) is a usage error naming it.
 */
export function filterOptionsOf(flags: JobFlags): PathFilterOptions {
  assertNotExcludeAll(flags)
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

/** Patterns that match every name at the top of the tree, so every path (a directory takes its tree). */
const MATCH_ALL = new Set(['*', '**', '***', '**/*', '/*', '/**', '/***', '/**/*'])

/**
 * rsync's `--include '*.c' --exclude '*'` (its filter rules go in order, the first match wins)
 * left out every file here, where an --exclude wins over any --include: the run copied nothing and
 * exited 0 ("nothing to do"), with no word of why (QA 30d). Any --include already means "only what
 * an include matches", so the --exclude is what to drop.
 */
function assertNotExcludeAll(flags: JobFlags): void {
  if (!flags.include?.length) return
  const all = flags.exclude?.find((p) => MATCH_ALL.has(p))
  if (all === undefined) return
  throw new SyncError(
    'USAGE',
    `--exclude '${all}' leaves out every file, and here an --exclude wins over every --include, whatever their order (rsync's "--include … --exclude '*'" idiom): nothing would be synced`,
    {
      hint: `Drop it: any --include already means "only what an include matches" (as in rclone), so --include '*.c' alone takes just the *.c files.`,
    },
  )
}
