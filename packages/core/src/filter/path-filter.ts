import type { EntryKind } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'

/** Decides which paths take part in a sync. Built by `createPathFilter`. */
export interface PathFilter {
  /** True when the path is excluded (neither copied nor, without --delete-excluded, deleted). */
  isExcluded(path: RelPath, kind: EntryKind): boolean
  /** True when nothing below `dir` can be included, so a listing may skip the whole directory. */
  canPrune(dir: RelPath): boolean
  /**
   * True for a directory that takes part only so that an `--include` can match inside it (neither
   * it nor a directory above it matches one): a run creates it only once something inside it is
   * copied, never empty (`deferWalkedDirs`). Optional: without it, every directory kept is created.
   */
  walkedOnly?(dir: RelPath): boolean
  /** True when the filter excludes nothing (lets the engine skip calls). */
  readonly empty: boolean
  /** The paths a `--files-from` list names (rule 6 of `createPathFilter`), for the engine to say which it did not find. [none] */
  readonly filesFrom?: ReadonlySet<string>
}
