import { isAbsolute, relative, resolve, sep } from 'node:path'
import { defaultStateDir, sqlitePathOf } from '@syncflow/core'
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
  const file = stateFileOf(state)
  const pattern = file === undefined ? undefined : await excludeOf(location, file)
  return pattern === undefined ? [] : SQLITE_SUFFIXES.map((suffix) => pattern + suffix)
}

/** A SQLite file and the journals SQLite loses committed writes without. */
export const SQLITE_SUFFIXES = ['', '-wal', '-shm', '-journal'] as const

/** The absolute path of the SQLite file (or directory) `--state` names; undefined for a URL (redis://, memory:…) or none. */
export function stateFileOf(state: string | false | undefined): string | undefined {
  if (typeof state !== 'string' || state.trim() === '') return undefined
  const file = sqlitePathOf(state)
  return file === undefined ? undefined : resolve(file)
}

/**
 * `path` relative to the local `location` (real paths of what exists of both, so a symlink on the
 * way or a path not made yet compare right), when it lies strictly inside; else undefined.
 */
export async function pathInside(location: string, path: string): Promise<string | undefined> {
  const local = localPathOf(location)
  if (local === undefined) return undefined
  const { existingRealPath } = await import('@syncflow/backend-local')
  const root = (await existingRealPath(local)).path
  const rel = relative(root, (await existingRealPath(path)).path)
  return rel === '' || isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`) ? undefined : rel
}

/** True when local `path` is the local `location`'s root itself (real paths of what exists of both). */
export async function isLocationRoot(location: string, path: string): Promise<boolean> {
  const local = localPathOf(location)
  if (local === undefined) return false
  const { existingRealPath } = await import('@syncflow/backend-local')
  return relative((await existingRealPath(local)).path, (await existingRealPath(path)).path) === ''
}

async function excludeOf(location: string, path: string): Promise<string | undefined> {
  const rel = await pathInside(location, path)
  if (rel === undefined) return undefined
  // Every character that means something in a glob is escaped: the name is matched as written.
  return `/${rel
    .split(sep)
    .map((name) => name.replace(/[\\*?[\]{}!]/g, '\\$&'))
    .join('/')}`
}
