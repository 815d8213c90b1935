import type { RelPath } from './rel-path.js'

/** What a watcher saw. A hint only: the engine re-stats before acting on it. */
export interface Change {
  readonly type: 'upsert' | 'remove' | 'rename'
  readonly path: RelPath
  /** The old path of a `rename`. */
  readonly from?: RelPath
}
