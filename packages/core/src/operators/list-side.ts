import type { Backend } from '../backend/backend.js'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import { compareEntries, type Entry, entrySortKey } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { hasUnsafeCharacter, nearestRelPath, relPathProblem } from '../model/rel-path.js'
import type { NoticeCode } from '../model/sync-event.js'

/** Options of `listSide`. */
export interface ListSideOptions {
  /** Paths the filter excludes are dropped (and excluded directories pruned). */
  readonly filter?: PathFilter
  /** Keep excluded entries (the target side of `--delete-excluded`). [false] */
  readonly keepExcluded?: boolean
  /** A part of the tree could not be listed, or a name was unsafe: the run must delete nothing. */
  readonly onError: (error: SyncError) => void
  readonly onNotice?: (notice: { code: NoticeCode; message: string; path?: string }) => void
  /** Called for each entry the filter leaves out (`listedEntryCheck`). */
  readonly onExcluded?: (entry: Entry) => void
  /** The target of a run that writes: the backend may clean up its own leftovers (`ListOptions.cleanUp`). [false] */
  readonly cleanUp?: boolean
  /** The target of a mirror: special files listed, to be deleted (`ListOptions.specialFiles`). [false] */
  readonly specialFiles?: boolean
  readonly signal?: AbortSignal
}

/**
 * Lists one side for `diff`: validates every path again (a listing is input, never trusted),
 * drops excluded entries, and checks the order the merge-join depends on. An out-of-order entry
 * is reported as a listing error (so nothing is deleted) and skipped rather than mis-joined.
 */
export async function* listSide(backend: Backend, opts: ListSideOptions): AsyncGenerator<Entry> {
  const admit = listedEntryCheck(backend, opts)
  for await (const entry of openListing(backend, opts)) if (admit(entry)) yield entry
}

/**
 * Starts `backend.list` as `listSide` does (excluded directories pruned); an error thrown at once
 * comes out as a SyncError. With `listedEntryCheck`, the engine joins this listing directly, one
 * async step per entry fewer than through `listSide`.
 */
export function openListing(backend: Backend, opts: ListSideOptions): AsyncIterable<Entry> {
  const { filter, keepExcluded = false } = opts
  const useFilter = filter !== undefined && !filter.empty && !keepExcluded
  try {
    return backend.list({
      onError: opts.onError,
      ...(opts.onNotice ? { onNotice: opts.onNotice } : {}),
      ...(useFilter ? { prune: (dir) => filter.canPrune(dir) } : {}),
      // Even where excluded entries are kept (to delete them): an unsafe name cannot be deleted.
      ...(filter !== undefined && !filter.empty ? { excluded: excludedName(filter, keepExcluded) } : {}),
      ...(opts.cleanUp ? { cleanUp: true } : {}),
      ...(opts.specialFiles ? { specialFiles: true } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    })
  } catch (err) {
    throw asSyncError(err, 'list', backend.uri)
  }
}

/**
 * `listSide`'s checks as a function of each listed entry in turn (it remembers the previous one):
 * true to keep the entry, false to skip it (an unsafe path or one out of order, reported to
 * `onError`; or one the filter excludes).
 */
export function listedEntryCheck(backend: Backend, opts: ListSideOptions): (entry: Entry) => boolean {
  const { filter, keepExcluded = false } = opts
  const useFilter = filter !== undefined && !filter.empty && !keepExcluded
  const excluded = filter !== undefined && !filter.empty ? excludedName(filter, keepExcluded) : undefined
  let previous: Entry | undefined
  return (entry) => {
    const problem = relPathProblem(entry.path)
    if (problem !== undefined) {
      if (excluded?.(entry.path)) return false
      opts.onError(
        new SyncError('INVALID_PATH', `unsafe name ${JSON.stringify(entry.path)} skipped: ${problem}`, {
          op: 'list',
          path: String(entry.path),
          hint: 'Rename or exclude it on the side it comes from.',
        }),
      )
      return false
    }
    if (previous !== undefined && compareEntries(previous, entry) >= 0) {
      opts.onError(
        new SyncError(
          'UNKNOWN',
          `listing out of order: ${JSON.stringify(entrySortKey(entry))} after ${JSON.stringify(entrySortKey(previous))}`,
          {
            op: 'list',
            path: entry.path,
            hint: `The ${backend.uri} backend broke the ordering contract: please report it.`,
          },
        ),
      )
      return false
    }
    previous = entry
    if (useFilter && filter.isExcluded(entry.path, entry.kind)) {
      opts.onExcluded?.(entry)
      return false
    }
    return true
  }
}

/**
 * `ListOptions.excluded` for a filter: a name that is no RelPath (`a//b`, `trail/`, `./x`) as the
 * filter sees the path a person would write for it (`nearestRelPath`: `a/b`, `trail`, `x`), as a
 * file or a directory; a name with no such path (`../x`, a control character) as it is. The
 * gitignore matcher throws on some such names (`../x`): not excluded then.
 *
 * Where excluded entries are to be deleted (`--delete-excluded`), a name with an unsafe character is
 * never taken as excluded: it cannot be deleted, so it is reported (which holds no delete back), not
 * left on the target without a word (QA).
 */
export function excludedName(filter: PathFilter, toDelete = false): (name: string) => boolean {
  return (name) => {
    if (toDelete && hasUnsafeCharacter(name)) return false
    const path = nearestRelPath(name) ?? (name.replace(/\/+$/, '') as RelPath)
    try {
      return filter.isExcluded(path, 'file') || filter.isExcluded(path, 'dir')
    } catch {
      return false
    }
  }
}
