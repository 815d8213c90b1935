import type { EntryKind } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { PathFilter } from './path-filter.js'

// `--exclude-if-present NAME` (rclone's, restic's and borg's; GNU tar's --exclude-tag): a directory
// that holds an entry called NAME is excluded with everything below it, the marker too.
//
// A listing cannot know it from a path, as the other rules do: the backend reads a directory's names
// before it lists the directory (`ListOptions.excludeIfPresent`) and says which ones hold a marker
// (`ListOptions.onMarked`), before it lists anything after them. The run notes them here, and the
// filter of both listings excludes what they hold:
//
// - A directory marked on EITHER side is excluded on BOTH sides (nothing lost, ever): a one-way sync
//   neither deletes the target's copy of a directory the source marks nor copies into one the target
//   marks; bisync leaves both copies as they are. A sorted listing may have listed the other side's
//   entries before the mark was seen, so the merge-join asks again, at each pair (`dropMarked`).
// - `--delete-excluded` deletes the target's copy of a directory the SOURCE marks, as it deletes
//   any excluded path; one marked on the target only is kept even so (only the source's marks say
//   what a mirror leaves out).
// - The root holding a marker excludes everything: nothing is synced, nothing deleted (said).
//
// Memory: the marked directories only (a set of their paths), never a tree.

/** Which side marked a directory: bits, so that a directory may be marked on both. */
export const MARKED_ON_SOURCE = 1
export const MARKED_ON_TARGET = 2

/** The directories a run's listings found a marker in (`--exclude-if-present`). */
export class MarkedDirs {
  readonly #dirs = new Map<string, number>()

  /** Notes `dir` (`''`: the root) as marked on `side` (`MARKED_ON_SOURCE` or `MARKED_ON_TARGET`). */
  mark(dir: string, side: number): void {
    this.#dirs.set(dir, (this.#dirs.get(dir) ?? 0) | side)
  }

  /** How many directories are marked. */
  get size(): number {
    return this.#dirs.size
  }

  /**
   * True when `path` (when a directory) or a directory above it, the root included, is marked by
   * `side` alone (`MARKED_ON_TARGET`: a directory only the target marks).
   */
  onlyBy(path: string, kind: EntryKind, side: number): boolean {
    if (this.#dirs.size === 0) return false
    if (this.#dirs.get('') === side) return true
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      if (this.#dirs.get(path.slice(0, i)) === side) return true
    }
    return kind === 'dir' && this.#dirs.get(path) === side
  }

  /**
   * The sides that marked `path` (when a directory) or a directory above it, the root included: 0
   * when none did. A lookup per directory above it, only once something is marked.
   */
  by(path: string, kind: EntryKind): number {
    if (this.#dirs.size === 0) return 0
    let sides = this.#dirs.get('') ?? 0
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) sides |= this.#dirs.get(path.slice(0, i)) ?? 0
    if (kind === 'dir') sides |= this.#dirs.get(path) ?? 0
    return sides
  }
}

/**
 * `filter` (when given) that also excludes what `marks` holds, as its marks are found: the filter of
 * a run with `--exclude-if-present`. Never `empty`, so that the engine asks it.
 */
export function withMarkedDirs(filter: PathFilter | undefined, marks: MarkedDirs): PathFilter {
  const inner = filter !== undefined && !filter.empty ? filter : undefined
  const walkedOnly = inner?.walkedOnly?.bind(inner)
  return {
    empty: false,
    isExcluded: (path: RelPath, kind: EntryKind) =>
      marks.by(path, kind) !== 0 || (inner?.isExcluded(path, kind) ?? false),
    canPrune: (dir: RelPath) => marks.by(dir, 'dir') !== 0 || (inner?.canPrune(dir) ?? false),
    ...(walkedOnly ? { walkedOnly } : {}),
    ...(filter?.filesFrom !== undefined ? { filesFrom: filter.filesFrom } : {}),
  }
}

/**
 * A marker name given to `--exclude-if-present` that cannot be one (with a `/`, empty, `.`, `..`),
 * as the reason it is not; undefined for a good one.
 */
export function markerNameProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  if (name === '.' || name === '..') return `${JSON.stringify(name)} is no file name`
  if (name.includes('/')) return 'it holds a "/": it is a name in a directory, not a path'
  if (name.includes('\0')) return 'it holds a NUL character'
  return undefined
}
