import type { Backend } from '../backend/backend.js'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import type { PathFilter } from '../filter/path-filter.js'
import { compareEntries, type Entry, entrySortKey } from '../model/entry.js'
import { foldName } from '../model/fold-name.js'
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
  /**
   * The side this listing is copied to does not tell names apart by case (FAT, exFAT, a casefolded
   * directory): a name equal to an earlier sibling's but for case is reported to `onError` and left
   * out with all below it, instead of being written into its twin (`listedEntryCheck`). [false]
   */
  readonly foldCase?: boolean
  /** The target of a run that writes: the backend may clean up its own leftovers (`ListOptions.cleanUp`). [false] */
  readonly cleanUp?: boolean
  /** The target of a mirror: special files listed, to be deleted (`ListOptions.specialFiles`). [false] */
  readonly specialFiles?: boolean
  /** `-H`: files of several names say which file they are (`ListOptions.linkIds`). [false] */
  readonly linkIds?: boolean
  /** `--exclude-if-present`'s marker names and what to call for a marked directory (`ListOptions.excludeIfPresent`). [none] */
  readonly excludeIfPresent?: readonly string[]
  readonly onMarked?: (dir: RelPath | '') => void
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
      ...(opts.linkIds ? { linkIds: true } : {}),
      ...(opts.excludeIfPresent?.length ? { excludeIfPresent: opts.excludeIfPresent } : {}),
      ...(opts.onMarked ? { onMarked: opts.onMarked } : {}),
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
  const twins = opts.foldCase ? new CaseTwins() : undefined
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
    if (twins !== undefined) {
      const twin = twins.admit(entry)
      if (twin === true) return false
      if (twin !== undefined) {
        opts.onError(caseCollision(twin.path, twin.twin))
        return false
      }
    }
    return true
  }
}

/**
 * Source names that one directory of a case-insensitive target cannot hold both of, found in
 * listing order: a directory's key is `path/`, so everything below it comes right after it, and a
 * stack of the directories above the current entry is all there is to remember (each frame holds
 * the case-folded names of one directory's entries seen so far).
 */
class CaseTwins {
  readonly #frames: CaseFrame[] = [{ prefix: '', names: new Map() }]
  /** `dir/` of a directory left out as a twin: what is below it is left out without a word. */
  #skipped: string | undefined

  /** True to skip silently (below a twin), the twins to report, undefined to keep. */
  admit(entry: Entry): { path: string; twin: string } | true | undefined {
    const path: string = entry.path
    if (this.#skipped !== undefined) {
      if (path.startsWith(this.#skipped)) return true
      this.#skipped = undefined
    }
    while (!path.startsWith(this.#top().prefix)) this.#frames.pop()
    // The directories between the innermost frame and the entry, each a name in the one above it:
    // met here first where a listing has no directory entries (an object store without markers).
    let at = this.#top().prefix.length
    for (let slash = path.indexOf('/', at); slash !== -1; slash = path.indexOf('/', at)) {
      const twin = this.#twinOf(path.slice(at, slash))
      if (twin !== undefined) {
        this.#skipped = path.slice(0, slash + 1)
        return { path: path.slice(0, slash), twin: this.#top().prefix + twin }
      }
      this.#frames.push({ prefix: path.slice(0, slash + 1), names: new Map() })
      at = slash + 1
    }
    const twin = this.#twinOf(path.slice(at))
    if (twin === undefined) return undefined
    if (entry.kind === 'dir') this.#skipped = `${path}/`
    return { path, twin: this.#top().prefix + twin }
  }

  #top(): CaseFrame {
    return this.#frames[this.#frames.length - 1] as CaseFrame
  }

  /** The other name `name` is under case folding in the innermost directory, or undefined (now kept). */
  #twinOf(name: string): string | undefined {
    const names = this.#top().names
    const folded = foldName(name)
    const had = names.get(folded)
    if (had === undefined) names.set(folded, name)
    return had !== undefined && had !== name ? had : undefined
  }
}

interface CaseFrame {
  readonly prefix: string
  readonly names: Map<string, string>
}

function caseCollision(path: string, twin: string): SyncError {
  return new SyncError(
    'CONFLICT',
    `${JSON.stringify(path)} and ${JSON.stringify(twin)} are one name on the target: its file system does not tell names apart by case; ${JSON.stringify(path)} left out`,
    {
      op: 'list',
      path,
      hint: 'Rename one of the two in the source, or --exclude one.',
    },
  )
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
