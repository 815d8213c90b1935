import { createPathFilter, type PathFilterOptions, type RelPath, SyncError, toRelPath } from '@syncflow/core'
import type { JobFlags } from '../options/job-flags.js'
import { shellQuote } from '../output/shell-quote.js'

/**
 * The filter options the flags give (`--include`, `--exclude`, `--filter`, their `-from` files already merged
 * in, `--files-from`), for a sync's filter, the overlap check and `ls` alike. A listed path that is
 * not a safe RelPath (a control character, a name too long) is a usage error naming it.
 */
export function filterOptionsOf(flags: JobFlags): PathFilterOptions {
  assertNotExcludeAll(flags)
  assertIncludesNotExcluded(flags)
  return {
    ...(flags.include?.length ? { include: flags.include } : {}),
    ...(flags.exclude?.length ? { exclude: flags.exclude } : {}),
    ...(flags.filter?.length ? { filter: flags.filter } : {}),
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

/** Includes that match every directory, at any depth: each takes its whole tree. */
const EVERY_DIR = new Set(['*/', '**/'])

/**
 * rsync's filter idioms, read here by other rules, ran quietly doing the opposite of what they
 * meant (QA 30d), so they are usage errors that say what to drop, or the `--filter` rules that
 * read them in rsync's order:
 * - `--include '*.c' --exclude '*'` (rsync's rules go in order, the first match wins) left out
 *   every file, since an --exclude wins over any --include here: the run copied nothing and exited
 *   0 ("nothing to do"). Any --include already means "only what an include matches".
 * - `--include` of a star and a slash beside `--include '*.c'` (rsync's way to walk every
 *   directory) took every directory with all it holds, an --include of a directory taking its
 *   tree, so every file was synced, not only the *.c ones. The directories on the way to a match
 *   are walked and made anyway.
 * - that --include of a star and a slash with `--exclude '*'` alone (rsync: the directories
 *   without their files) is said as rules only, not "drop both", which syncs every file.
 */
function assertNotExcludeAll(flags: JobFlags): void {
  const include = flags.include ?? []
  if (include.length === 0) return
  const all = flags.exclude?.find((p) => MATCH_ALL.has(p))
  const dirs = include.find((p) => EVERY_DIR.has(p))
  // Alone, an --include '*/' is no idiom: every directory's tree (the files at the top left out).
  const everyDir = dirs !== undefined && (include.length > 1 || all !== undefined) ? dirs : undefined
  if (all === undefined && everyDir === undefined) return
  // Every directory included and every name excluded, with no other --include: rsync's "the
  // directories without their files", where dropping both (the hint below) would sync every file.
  if (all !== undefined && include.every((p) => EVERY_DIR.has(p))) {
    throw new SyncError(
      'USAGE',
      `--include '${dirs}' --exclude '${all}' is rsync's idiom for the directories without their files, where the first rule that matches decides: here an --include of a directory takes its tree, and an --exclude wins over every --include, so nothing would be synced`,
      { hint: `Write the two as ordered rules, read as rsync reads them: ${filterFlags(include, all)}.` },
    )
  }
  const dropDirs = `--include '${everyDir}' takes every directory with all it holds (an --include of a directory takes its tree), so every file below one is synced, whatever the other includes say (rsync's "--include '*/'" idiom)`
  if (all === undefined) {
    throw new SyncError('USAGE', dropDirs, {
      hint: 'Drop it: the directories on the way to what an --include matches are walked and made anyway.',
    })
  }
  throw new SyncError(
    'USAGE',
    `--exclude '${all}' leaves out every file, and here an --exclude wins over every --include, whatever their order (rsync's "--include … --exclude '*'" idiom): nothing would be synced${everyDir === undefined ? '' : `; and ${dropDirs}`}`,
    {
      hint: `Drop ${everyDir === undefined ? 'it' : `both --exclude '${all}' and --include '${everyDir}'`}: any --include already means "only what an include matches" (as in rclone), so --include '*.c' alone takes just the *.c files, and the directories on the way to them. Or keep rsync's order with rules, where the first that matches decides: ${filterFlags(include, all)}.`,
    },
  )
}

/** A glob's special characters: a pattern without any names one path. */
const GLOB_SYNTAX = /[*?[\]{}\\!]/

/**
 * An --include that names one path (no glob) which an --exclude leaves out can never take effect:
 * an --exclude wins over every --include here. rsync's `--include a/keep.log --exclude '*.log'`
 * (the first match wins: every file but the other logs) ran here as "only a/keep.log, and not it",
 * copying nothing, exit 0, "nothing to do" (as rclone, which applies excludes first, does quietly).
 * Only paths excluded whatever their kind are said: `--exclude 'cache/'` leaves a file `cache` in.
 */
function assertIncludesNotExcluded(flags: JobFlags): void {
  const excludes = flags.exclude ?? []
  if (excludes.length === 0) return
  for (const include of flags.include ?? []) {
    if (GLOB_SYNTAX.test(include)) continue
    const dirOnly = include.endsWith('/')
    let path: RelPath
    try {
      path = toRelPath(include.replace(/^\/+/, '').replace(/\/+$/, ''))
    } catch {
      continue // not a path (`.`, `..`): the filter's own rules say what it does
    }
    let above: RelPath | undefined
    const by = excludes.find((exclude) => {
      const only = createPathFilter({ exclude: [exclude] })
      above = ancestors(path).find((dir) => only.isExcluded(dir, 'dir'))
      return above !== undefined || (only.isExcluded(path, 'dir') && (dirOnly || only.isExcluded(path, 'file')))
    })
    if (by === undefined) continue
    const why = 'here an --exclude wins over every --include, whatever their order'
    // Below an excluded directory nothing is looked at by these flags; --filter rules walk a
    // directory a `+` rule could match below, and a `-` rule for the directory takes the rest.
    const rules = filterFlags([include], by)
    if (above !== undefined) {
      throw new SyncError(
        'USAGE',
        `--include '${include}' names a path below ${above}/, which --exclude '${by}' leaves out, and ${why}: it would never be synced`,
        {
          hint: `To keep '${path}' and leave out the rest of ${above}/, write the two as ordered rules, where the first that matches decides (as in rsync and rclone's --filter): ${rules}.`,
        },
      )
    }
    throw new SyncError(
      'USAGE',
      `--include '${include}' names a path that --exclude '${by}' leaves out, and ${why} (unlike rsync, where the first rule that matches decides): it would never be synced`,
      {
        hint: `For rsync's meaning (everything but '${by}', and '${include}' even so), write the two as ordered rules: ${rules}. To sync only '${include}', drop the --exclude.`,
      },
    )
  }
}

/** The `--filter` flags that say "these includes, then this exclude" in rsync's order (the first match decides). */
function filterFlags(includes: readonly string[], exclude: string): string {
  return [...includes.map((p) => `--filter ${shellQuote(`+ ${p}`)}`), `--filter ${shellQuote(`- ${exclude}`)}`].join(
    ' ',
  )
}

/** The directories above `path`, the root's children first (`a/b/c` → `a`, `a/b`). */
function ancestors(path: RelPath): RelPath[] {
  const out: RelPath[] = []
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i) as RelPath)
  return out
}
