import type { Backend } from '../backend/backend.js'
import {
  MARKED_ON_SOURCE,
  MARKED_ON_TARGET,
  MarkedDirs,
  markerNameProblem,
  withMarkedDirs,
} from '../filter/marked-dirs.js'
import type { PathFilter } from '../filter/path-filter.js'
import type { RelPath } from '../model/rel-path.js'
import type { EntryPair } from './diff.js'

/** One run's `--exclude-if-present` (see `marked-dirs.ts` for the rules): its filter, listings and join. */
export interface MarkerRun {
  /** The run's filter, which also excludes the marked directories as they are found. */
  readonly filter: PathFilter
  /** What `openListing` (and `listedEntryCheck`) take for the side `side` (`source`: a bisync's A). */
  listing(side: 'source' | 'target'): { excludeIfPresent: readonly string[]; onMarked: (dir: RelPath | '') => void }
  /**
   * For `diff`'s `drop`: true for a pair a marked directory holds (or is), which then counts as
   * excluded on each side it is on (`onDropped`). Under `deleteExcluded`, the target's copy of a
   * directory the source marks is kept in the run, to be deleted.
   */
  drop(pair: EntryPair, onDropped: (pair: EntryPair) => void): boolean
}

/**
 * The `--exclude-if-present` of a run with the marker names `names` (undefined without any);
 * `onRoot` is told once of each root that holds one.
 */
export function markerRun(
  names: readonly string[] | undefined,
  filter: PathFilter | undefined,
  opts: {
    deleteExcluded: boolean
    onRoot: (side: 'source' | 'target') => void
    onMarked?: ((dir: string, side: 'source' | 'target') => void) | undefined
  },
): MarkerRun | undefined {
  if (names === undefined || names.length === 0) return undefined
  const marks = new MarkedDirs()
  return {
    filter: withMarkedDirs(filter, marks),
    listing: (side) => ({
      excludeIfPresent: names,
      onMarked: (dir) => {
        if (dir === '') opts.onRoot(side)
        opts.onMarked?.(dir, side)
        marks.mark(dir, side === 'source' ? MARKED_ON_SOURCE : MARKED_ON_TARGET)
      },
    }),
    drop: (pair, onDropped) => {
      const kind = (pair.source ?? pair.target)?.kind ?? 'file'
      const by = marks.by(pair.path, kind)
      if (by === 0) return false
      // --delete-excluded deletes the target's copy of what the source marks, as any excluded path:
      // never in a directory only the target marks, at any depth (left alone, as promised: review
      // of --exclude-if-present B3), nor when the source's root is marked (nothing synced, nothing
      // deleted: B1, it emptied the target).
      if (
        opts.deleteExcluded &&
        pair.source === undefined &&
        (by & MARKED_ON_SOURCE) !== 0 &&
        !marks.onlyBy(pair.path, kind, MARKED_ON_TARGET) &&
        (marks.by('', 'dir') & MARKED_ON_SOURCE) === 0
      )
        return false
      onDropped(pair)
      return true
    },
  }
}

/**
 * Why a run cannot take `names` as `--exclude-if-present` markers (a bad name, a backend that cannot
 * tell), or undefined.
 */
export function excludeIfPresentProblem(names: unknown, backends: readonly Backend[]): string | undefined {
  if (names === undefined) return undefined
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    return `excludeIfPresent must be an array of file names, not ${JSON.stringify(names)}`
  for (const name of names as string[]) {
    const problem = markerNameProblem(name)
    if (problem !== undefined)
      return `--exclude-if-present ${JSON.stringify(name)}: a marker is a file name, and ${problem}`
  }
  if (names.length === 0) return undefined
  for (const backend of backends) {
    if (backend.capabilities.excludeIfPresent !== true)
      return `--exclude-if-present cannot be used with ${backend.uri}: its listing cannot tell which directories hold a marker without a request more per directory or holding the tree (only a local directory can); use --exclude for those directories there`
  }
  return undefined
}
