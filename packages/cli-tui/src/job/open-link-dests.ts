import { stat } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { existingRealPath } from '@syncflow/backend-local'
import { type Backend, schemeOf } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'
import { assertTildeExpanded } from './assert-tilde-expanded.js'
import { isWithin } from './is-within.js'
import { localPathOf } from './local-path-of.js'

/** The `--link-dest` directories a run links from, and what it says of those it cannot use. */
export interface LinkDests {
  readonly backends: Backend[]
  /** Why a directory given gives no links (missing; on another file system): said as notes, the run goes on. */
  readonly unused: string[]
}

/**
 * Opens the `--link-dest` directories of a run from `source` into the local directory `target` (as
 * rsync reads them: a relative one is relative to the target, the real directory it leads to, so
 * that `--link-dest ../2026-12-06` names the snapshot beside it). A missing one is said and
 * skipped, as rsync does (a first snapshot has no previous one), and so is one on another file
 * system than the target (no hard link joins them).
 * @throws SyncError `USAGE` for a target or directory that is not local, a file, one that is, holds
 * or lies in the target (a mirror would delete it, review of --link-dest F3) or the source (the live
 * files would share their bytes with the snapshot: an edit of one is an edit of the other, F4).
 */
export async function openLinkDests(
  dirs: readonly string[],
  source: string,
  target: string,
  open: (location: string) => Promise<Backend>,
): Promise<LinkDests> {
  const targetRoot = localPathOf(target)
  if (targetRoot === undefined) {
    throw usageError(
      `--link-dest links files within a local directory, and the target ${JSON.stringify(target)} is not one`,
      'Give a local target directory, or drop --link-dest (other targets get every file copied).',
    )
  }
  const targetDev = await deviceOf(targetRoot)
  // Real paths, as rsync's chdir into the target reads a `..` (review F9: a target through a symlink).
  const targetReal = (await existingRealPath(targetRoot)).path
  const sourceLocal = localPathOf(source)
  const sourceReal = sourceLocal === undefined ? undefined : (await existingRealPath(sourceLocal)).path
  const backends: Backend[] = []
  const unused: string[] = []
  for (const dir of dirs) {
    if (schemeOf(dir) !== 'file') {
      throw usageError(
        `--link-dest ${JSON.stringify(dir)} is not a local directory`,
        'Give the local directory of an earlier snapshot (hard links join names of one local file system).',
      )
    }
    assertTildeExpanded('--link-dest', dir)
    const local = localPathOf(dir) as string
    const abs: string = /^file:/i.test(dir) || isAbsolute(dir) ? local : resolve(targetReal, dir)
    const named =
      abs === local ? JSON.stringify(dir) : `${JSON.stringify(dir)} (${abs}, relative to the target as rsync reads it)`
    // (Before it exists: a target the run is yet to make.)
    const real = (await existingRealPath(abs)).path
    const toTarget = overlap(real, targetReal)
    if (toTarget !== undefined) {
      throw usageError(
        `--link-dest ${named} ${toTarget} the target${toTarget === 'lies in' ? ', which a mirror would delete it from' : ''}`,
        'Give the directory of an earlier snapshot, beside the target (--link-dest ../previous).',
      )
    }
    const toSource = sourceReal === undefined ? undefined : overlap(real, sourceReal)
    if (toSource !== undefined) {
      throw usageError(
        `--link-dest ${named} ${toSource} the source: the files linked would be the source's own, and an edit of one an edit of the other`,
        'Give the directory of an earlier snapshot, outside the source (a restore copies back without --link-dest).',
      )
    }
    const st = await stat(abs).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined
      throw usageError(
        `--link-dest ${named} cannot be read: ${err.code ?? err.message}`,
        'Give a directory this user may read.',
      )
    })
    if (st === undefined) {
      unused.push(`--link-dest ${named} does not exist: the files it would have given are copied`)
      continue
    }
    if (!st.isDirectory()) {
      throw usageError(
        `--link-dest ${named} is not a directory`,
        'Give the directory of an earlier snapshot of the tree.',
      )
    }
    if (targetDev !== undefined && st.dev !== targetDev) {
      unused.push(
        `--link-dest ${named} is on another file system than the target: no hard link joins them, its files are copied`,
      )
      continue
    }
    backends.push(await open(abs))
  }
  return { backends, unused }
}

/** The device of `path`, or of the nearest directory above it that exists (a target made by the run). */
async function deviceOf(path: string): Promise<number | undefined> {
  for (let at = path; ; at = dirname(at)) {
    const st = await stat(at).catch(() => undefined)
    if (st !== undefined) return st.dev
    if (dirname(at) === at) return undefined
  }
}

/** How directory `a` stands to directory `b`: `is`, `holds`, `lies in`, or `undefined` (apart). */
function overlap(a: string, b: string): 'is' | 'holds' | 'lies in' | undefined {
  if (a === b) return 'is'
  return isWithin(b, a) ? 'holds' : isWithin(a, b) ? 'lies in' : undefined
}
