import { isAbsolute, relative, resolve, sep } from 'node:path'
import { defaultStateDir } from '@syncflow/core'
import { localPathOf } from './local-path-of.js'

/**
 * The `--exclude` pattern (anchored, its glob characters escaped) that keeps the state directory
 * out of a local location (source or target) that holds it, else undefined.
 * - A target: a restore of a home directory (`syncflow sync /backup/home ~`) has the default state
 *   directory (`~/.local/state/syncflow`) in its target: a mirror deleted it as files the source
 *   lacks (every job's state, and the lock the run held), and a backup that holds an old copy of it
 *   would be written over the live one. Refusing it (as 8ffd4cc did) broke that ordinary restore
 *   with exit 2; syncflow's own files are left out instead, on both sides, as if excluded.
 * - A source: a backup of a home directory copied the job's own state file while the run wrote it
 *   (a torn SQLite copy, and again on every run), and `syncflow watch ~ /backup/home` heard each of
 *   its own state writes as a change: a cycle every ~100 ms for ever, copying its WAL.
 */
export async function stateDirExcludeOf(location: string): Promise<string | undefined> {
  return excludeOf(location, defaultStateDir())
}

/**
 * The `--exclude` patterns that keep a `--state` SQLite file, with its journals, out of a local
 * source that holds it (as `stateDirExcludeOf` does for the state directory); none for a store
 * that is no local file (redis://, postgres://, memory:) or one outside `location`.
 */
export async function stateFileExcludesOf(location: string, state: string | false | undefined): Promise<string[]> {
  if (typeof state !== 'string' || state.trim() === '') return []
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]+):/.exec(state)?.[1]?.toLowerCase()
  if (scheme !== undefined && scheme !== 'sqlite') return []
  const file = resolve(scheme === 'sqlite' ? state.replace(/^sqlite:(\/\/)?/i, '') : state)
  const pattern = await excludeOf(location, file)
  return pattern === undefined ? [] : ['', '-wal', '-shm', '-journal'].map((suffix) => pattern + suffix)
}

async function excludeOf(location: string, path: string): Promise<string | undefined> {
  const local = localPathOf(location)
  if (local === undefined) return undefined
  const { existingRealPath } = await import('@syncflow/backend-local')
  const root = (await existingRealPath(local)).path
  const rel = relative(root, (await existingRealPath(path)).path)
  if (rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) return undefined
  // Every character that means something in a glob is escaped: the name is matched as written.
  return `/${rel
    .split(sep)
    .map((name) => name.replace(/[\\*?[\]{}!]/g, '\\$&'))
    .join('/')}`
}
