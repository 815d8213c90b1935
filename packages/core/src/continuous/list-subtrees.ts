import type { Backend, ListOptions } from '../backend/backend.js'
import type { SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { Entry } from '../model/entry.js'
import { parentRelPath, type RelPath } from '../model/rel-path.js'

/** Options of `listSubtrees`. */
export interface ListSubtreesOptions {
  /** Excluded directories are not descended into. */
  readonly filter?: PathFilter
  readonly onError: (error: SyncError) => void
  /** Passed to `list` (a symlink skipped by the backend's policy is said there). */
  readonly onNotice?: ListOptions['onNotice']
  readonly signal?: AbortSignal
}

/**
 * Everything below the directories `roots` (not the roots themselves), through the ordinary
 * `list()` with `prune`: only the roots' ancestors and the roots are descended into, so the cost
 * is that of the subtrees plus one directory read per ancestor, not the whole tree. A new
 * directory (an unpacked archive, a `git checkout`, a moved-in tree) is thus taken whole by one
 * cycle, without waiting for an event per file; a removed one gives its contents to delete.
 */
export async function* listSubtrees(
  backend: Backend,
  roots: readonly RelPath[],
  opts: ListSubtreesOptions,
): AsyncGenerator<Entry> {
  if (roots.length === 0) return
  const rootSet = new Set<string>(roots)
  const ancestors = new Set<string>()
  for (const r of roots) for (let p = parentRelPath(r); p !== undefined; p = parentRelPath(p)) ancestors.add(p)
  const below = (path: RelPath): boolean => {
    for (let p = parentRelPath(path); p !== undefined; p = parentRelPath(p)) if (rootSet.has(p)) return true
    return false
  }
  const f = opts.filter
  const prune = (dir: RelPath): boolean => {
    if (f && !f.empty && f.canPrune(dir)) return true
    return !(ancestors.has(dir) || rootSet.has(dir) || below(dir))
  }
  for await (const e of backend.list({
    prune,
    onError: opts.onError,
    ...(opts.onNotice ? { onNotice: opts.onNotice } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  })) {
    if (below(e.path)) yield e
  }
}
