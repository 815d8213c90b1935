import {
  type Entry,
  excludePatternFor,
  type ListOptions,
  nearestRelPath,
  type RelPath,
  relPathProblem,
  SyncError,
} from '@syncflow/core'

/** The name of a probe's scratch object at the root of the prefix (`.syncflow-probe-<24 hex>`). */
const PROBE_KEY = /^\.syncflow-probe-[0-9a-f]{24}$/

import { md5FromEtag } from './s3-metadata.js'

/** One object of a ListObjectsV2 page, as the walker needs it. */
export interface ListedObject {
  /** The full key (prefix included), decoded. */
  readonly key: string
  readonly size: number
  readonly lastModifiedMs: number
  /** ETag without quotes. */
  readonly etag?: string
}

const SLASH = 0x2f

/**
 * Turns the keys of a streaming ListObjectsV2 (in S3's UTF-8 order) into listing entries, in the
 * same order, with O(key length) memory:
 *
 * - keys that cannot be safe RelPaths (`a//b`, `/lead`, `../x`, `./y`, control characters) become
 *   `INVALID_PATH` errors, and are skipped;
 * - a key ending in `/` is a directory marker: `x/` becomes a `dir` entry `x`. One with content
 *   (some tools put bytes in their markers) too, said with a notice: its bytes are no file any tool
 *   can sync, and reported as an unsafe name, it held back every delete, for good (QA 17 #1);
 * - a key that is a file and also a prefix of other keys (`x` and `x/y`): the file is listed, the
 *   keys under `x/` are skipped with one `CONFLICT` error (a local tree cannot hold both), or
 *   silently where the run's filters exclude `x` or those keys, or listed as they are for the
 *   target of a run that writes (see the constructor);
 * - a directory that `prune` excludes: listed as a directory (from its marker, else from its first
 *   key), the keys under it skipped, and `jumpKey` tells the lister where to restart so they are
 *   not even fetched.
 */
export class KeyWalker {
  readonly #prefix: string
  readonly #prune: ((dir: RelPath) => boolean) | undefined
  readonly #excluded: ((name: string) => boolean) | undefined
  /** Files listed so far that later keys may still have as a prefix (`x` before `x-1`, `x/y`). */
  #openFiles: string[] = []
  /** Relative prefix (ending in `/`) whose keys are being skipped, and why. */
  #skip: { prefix: string; pruned: boolean } | undefined
  /** Directories of the previous key, for asking `prune` once per directory. */
  #dirs: string[] = []

  readonly #listBelowFiles: boolean
  readonly #onNotice: ListOptions['onNotice']

  /**
   * `listBelowFiles`: the keys under a file that is also a prefix are listed as they are, not
   * skipped as a clash. For the target of a run that writes: a run stopped between writing `x` (a
   * file that replaced a directory) and deleting `x/…` left both, and the keys must be seen to be
   * deleted; reported instead, every later run had a listing error and deleted nothing, for good.
   */
  constructor(
    prefix: string,
    prune?: (dir: RelPath) => boolean,
    excluded?: (name: string) => boolean,
    listBelowFiles = false,
    onNotice?: ListOptions['onNotice'],
  ) {
    this.#onNotice = onNotice
    this.#prefix = prefix
    this.#prune = prune
    this.#excluded = excluded
    this.#listBelowFiles = listBelowFiles
  }

  /** What one listed object becomes: an entry, an error to report, or nothing (skipped). */
  next(obj: ListedObject): Entry | SyncError | undefined {
    if (!obj.key.startsWith(this.#prefix)) return undefined
    const rel = obj.key.slice(this.#prefix.length)
    if (rel === '') return undefined // the marker of the root itself
    // The scratch object of a conditional-delete probe (#learnDelete) is ours, never a user's file:
    // one left by a run killed mid-probe must not be listed (a restore would copy it).
    if (PROBE_KEY.test(rel)) return undefined
    this.#openFiles = this.#openFiles.filter((f) => rel.startsWith(f) && rel.charCodeAt(f.length) <= SLASH)
    if (this.#skip) {
      if (rel.startsWith(this.#skip.prefix)) return undefined
      this.#skip = undefined
    }
    const marker = rel.endsWith('/')
    const path = marker ? rel.slice(0, -1) : rel
    const problem = relPathProblem(path)
    if (problem !== undefined) {
      // Excluded by the user: skipped without a word (it could not be synced anyway).
      if (this.#excluded?.(rel)) return undefined
      return new SyncError('INVALID_PATH', `key ${JSON.stringify(obj.key)} skipped: ${problem}`, {
        op: 's3.list',
        path: rel,
        hint: `Such a key cannot be a file name: rename the object to sync it.${excludeCaveat(rel)}`,
      })
    }
    const clash = this.#listBelowFiles ? undefined : this.#openFiles.find((f) => rel.startsWith(`${f}/`))
    if (clash !== undefined) {
      // A key below that the user excludes (`--exclude /x/y`) is no clash: skipped without a word,
      // and the next one is looked at (QA 17 #2: only excluding `x` itself, the object, helped).
      if (this.#excluded?.(rel)) return undefined
      this.#skip = { prefix: `${clash}/`, pruned: false }
      // Excluded by the user (`--exclude x` or `x/**`): the keys are skipped without a word, so
      // the run is complete and deletes (the object `x` is listed, and filtered, as usual).
      if (this.#excluded?.(clash)) return undefined
      return new SyncError(
        'CONFLICT',
        `${JSON.stringify(clash)} is both an object and a prefix of other keys (${JSON.stringify(obj.key)}); the keys under ${JSON.stringify(`${this.#prefix}${clash}/`)} are skipped`,
        {
          op: 's3.list',
          path: clash,
          hint: 'A file and a directory cannot have the same name: rename one of them in the bucket.',
        },
      )
    }
    const pruned = this.#prune ? this.#prunedDir(path, marker) : undefined
    // The pruned directory itself is listed, marker or not (its first key stands for it), so that
    // the engine sees it excluded, and kept: a new file of its name is not written beside its keys.
    if (pruned !== undefined) return this.#dirEntry(pruned, obj)
    if (marker) {
      if (obj.size > 0) {
        this.#onNotice?.({
          code: 'MARKER_WITH_CONTENT',
          message: `key ${JSON.stringify(obj.key)} ends in "/": a directory marker, synced as the directory ${path}; its ${obj.size} bytes are not (no file can have that name)`,
          path,
        })
      }
      return this.#dirEntry(path, obj)
    }
    this.#openFiles.push(path)
    const md5 = md5FromEtag(obj.etag)
    return {
      path: path as RelPath,
      kind: 'file',
      size: obj.size,
      mtimeMs: obj.lastModifiedMs,
      ...(obj.etag ? { version: obj.etag } : {}),
      ...(md5 ? { hashes: { md5 } } : {}),
    }
  }

  /**
   * While keys under a skipped directory are being passed over: the key to restart the listing
   * after (StartAfter), past every key under it. Undefined when nothing is skipped.
   */
  jumpKey(): string | undefined {
    if (!this.#skip) return undefined
    const base = `${this.#prefix}${this.#skip.prefix}`
    // U+10FFFF is the greatest code point, so its UTF-8 bytes sort after any key under `base`
    // (keys are at most 1,024 bytes).
    const room = Math.floor((1024 - Buffer.byteLength(base)) / 4)
    return room > 0 ? base + '\u{10FFFF}'.repeat(room) : undefined
  }

  /** Asks `prune` about each directory of `path` not asked before; returns the one pruned, if any. */
  #prunedDir(path: string, marker: boolean): string | undefined {
    const segs = path.split('/')
    const dirs: string[] = []
    const depth = marker ? segs.length : segs.length - 1
    for (let i = 0; i < depth; i++) dirs.push(i === 0 ? segs[0]! : `${dirs[i - 1]}/${segs[i]}`)
    let same = 0
    while (same < dirs.length && same < this.#dirs.length && dirs[same] === this.#dirs[same]) same++
    this.#dirs = dirs
    for (let i = same; i < dirs.length; i++) {
      if (this.#prune!(dirs[i] as RelPath)) {
        this.#skip = { prefix: `${dirs[i]}/`, pruned: true }
        this.#dirs = dirs.slice(0, i + 1)
        return dirs[i]
      }
    }
    return undefined
  }

  #dirEntry(path: string, obj: ListedObject): Entry {
    return { path: path as RelPath, kind: 'dir', size: 0, mtimeMs: obj.lastModifiedMs }
  }
}

/**
 * What an `--exclude` for an unsafe key also leaves out: a filter sees such a key as the path a
 * person would write for it (`a//b` as `a/b`, see `excludedName`), so no pattern matches the key
 * alone. Said, not advised (QA 17 #1: following the advice, a real `a/b` went unsynced, silently).
 */
function excludeCaveat(rel: string): string {
  const near = nearestRelPath(rel)
  if (near === undefined) return ''
  const pattern = excludePatternFor(near).replace(/'/g, `'\\''`)
  return ` (--exclude '${pattern}' would leave it out without a word, but also any key ${near} and what is below it.)`
}
