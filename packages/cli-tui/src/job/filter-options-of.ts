import { createPathFilter, type PathFilterOptions, type RelPath, SyncError, toRelPath } from '@syncflow/core'
import type { JobFlags } from '../options/job-flags.js'

/**
 * The filter options the flags give (`--include`, `--exclude`, their `-from` files already merged
 * in, `--files-from`), for a sync's filter, the overlap check and `ls` alike. A listed path that is
 * not a safe RelPath (a control character, a name too long) is a usage error naming it.
 */
export function filterOptionsOf(flags: JobFlags): PathFilterOptions {
  assertNotExcludeAll(flags)
  assertIncludesNotExcluded(flags)
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

/** Includes that match every directory, at any depth: each takes its whole tree. */
const EVERY_DIR = new Set(['*/', '**/'])

/**
 * rsync's filter idioms, read here by other rules, ran quietly doing the opposite of what they
 * meant (QA 30d), so they are usage errors that say what to drop:
 * - `--include '*.c' --exclude '*'` (rsync's rules go in order, the first match wins) left out
 *   every file, since an --exclude wins over any --include here: the run copied nothing and exited
 *   0 ("nothing to do"). Any --include already means "only what an include matches".
 * - `--include` of a star and a slash beside `--include '*.c'` (rsync's way to walk every
 *   directory) took every directory with all it holds, an --include of a directory taking its
 *   tree, so every file was synced, not only the *.c ones. The directories on the way to a match
 *   are walked and made anyway.
 * - that --include of a star and a slash with `--exclude '*'` alone (rsync: the directories
 *   without their files) has no equivalent here: said so, not "drop both", which syncs every file.
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
      `--include '${dirs}' --exclude '${all}' is rsync's idiom for the directories without their files, which no syncflow filter gives: here an --include of a directory takes its tree, and an --exclude wins over every --include, so nothing would be synced`,
      {
        hint: `Make the directory tree with another tool (rsync -a --include '*/' --exclude '*' SRC/ DST/), and drop both flags only to sync every file.`,
      },
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
      hint: `Drop ${everyDir === undefined ? 'it' : `both --exclude '${all}' and --include '${everyDir}'`}: any --include already means "only what an include matches" (as in rclone), so --include '*.c' alone takes just the *.c files, and the directories on the way to them.`,
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
    // Below an excluded directory nothing is looked at, here as in rsync and git: no rule order
    // brings it back, so the way out is to exclude what the directory holds instead.
    if (above !== undefined) {
      throw new SyncError(
        'USAGE',
        `--include '${include}' names a path below ${above}/, which --exclude '${by}' leaves out, and ${why}: it would never be synced`,
        {
          hint: `Nothing below an excluded directory is looked at (as in rsync and git). To keep '${path}' and leave out the rest of ${above}/, drop both flags and write these lines, in this order, in a .syncflowignore file at the source root: ${keepOnlyLines(above, path)}.`,
        },
      )
    }
    throw new SyncError(
      'USAGE',
      `--include '${include}' names a path that --exclude '${by}' leaves out, and ${why} (unlike rsync, where the first rule that matches decides): it would never be synced`,
      {
        hint: `For rsync's meaning (everything but '${by}', and '${include}' even so), drop both flags and write two lines in a .syncflowignore file at the source root, where the order counts as in .gitignore: '${by}', then '!${include}'. To sync only '${include}', drop the --exclude.`,
      },
    )
  }
}

/** The directories above `path`, the root's children first (`a/b/c` → `a`, `a/b`). */
function ancestors(path: RelPath): RelPath[] {
  const out: RelPath[] = []
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) out.push(path.slice(0, i) as RelPath)
  return out
}

/**
 * The .syncflowignore lines (gitignore's) that leave out what directory `dir` holds but `path`
 * below it: each directory on the way is re-included, then its other contents left out again
 * (`a/*`, `!a/b/`, `a/b/*`, `!a/b/w.txt`), since git brings back nothing below an excluded one.
 */
function keepOnlyLines(dir: RelPath, path: RelPath): string {
  const lines = [`'${dir}/*'`]
  for (const on of ancestors(path).filter((a) => a.length > dir.length)) lines.push(`'!${on}/'`, `'${on}/*'`)
  lines.push(`'!${path}'`)
  return lines.join(', ')
}
