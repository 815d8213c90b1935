import { isAbsolute, relative, sep } from 'node:path'
import { defaultStateDir } from '@syncflow/core'
import { localPathOf } from './local-path-of.js'

/**
 * The `--exclude` pattern (anchored, its glob characters escaped) that keeps the state directory
 * out of a local target that holds it, else undefined. A restore of a home directory
 * (`syncflow sync /backup/home ~`) has the default state directory (`~/.local/state/syncflow`) in
 * its target: a mirror deleted it as files the source lacks (every job's state, and the lock the run
 * held), and a backup that holds an old copy of it would be written over the live one. Refusing it
 * (as 8ffd4cc did) broke that ordinary restore with exit 2; syncflow's own files are left out
 * instead, on both sides, as if excluded.
 */
export async function stateDirExcludeOf(target: string): Promise<string | undefined> {
  const dst = localPathOf(target)
  if (dst === undefined) return undefined
  const { existingRealPath } = await import('@syncflow/backend-local')
  const root = (await existingRealPath(dst)).path
  const rel = relative(root, (await existingRealPath(defaultStateDir())).path)
  if (rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) return undefined
  // Every character that means something in a glob is escaped: the name is matched as written.
  return `/${rel
    .split(sep)
    .map((name) => name.replace(/[\\*?[\]{}!]/g, '\\$&'))
    .join('/')}`
}
