import type { StateRecord } from '../state/state-store.js'

/**
 * The records a two-way run must not trust to tell that a path was deleted: those below a
 * directory that has no record itself. A run that excludes a path forgets its record (see
 * `bisync`), as the records of what it holds cannot be found without listing it; once the path is
 * included again, what is below it has records from before the exclusion, and a delete made on one
 * side meanwhile (a directory marked `--exclude-if-present` on A and cleaned out there, then
 * unmarked) would be carried to the other side. Without its record a path is compared as on a
 * first run: copied to the side that lacks it, kept both ways where the two differ (as rclone
 * bisync, which lists only what is included, does; review R13). Fed the pairs in listing order,
 * where a directory's contents follow it: only the directories above the current path are held.
 */
export class RecordGaps {
  /** The directories above the current path (`dir/`), each with whether it or one above it has no record. */
  readonly #chain: { readonly prefix: string; readonly gap: boolean }[] = []

  /**
   * The record to decide `path` from: `prior`, or undefined where a directory above it has none.
   * `isDir`: the pair is a directory's (a file and a directory of one name come as two pairs).
   */
  trusted(path: string, isDir: boolean, prior: StateRecord | undefined): StateRecord | undefined {
    const chain = this.#chain
    while (chain.length > 0 && !path.startsWith(chain[chain.length - 1]!.prefix)) chain.pop()
    const gap = chain.length > 0 && chain[chain.length - 1]!.gap
    if (isDir) {
      const recorded = prior !== undefined && (prior.source.kind === 'dir' || prior.target.kind === 'dir')
      chain.push({ prefix: `${path}/`, gap: gap || !recorded })
    }
    return gap ? undefined : prior
  }
}
