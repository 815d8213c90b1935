import { compareUtf8 } from '../model/compare-utf8.js'
import type { NoticeCode } from '../model/sync-event.js'

/**
 * Paths a mirror keeps on the target although the source lists nothing there: source symlinks left
 * out on purpose (`--symlinks skip`, or a target that cannot store symlinks), special files (as
 * rsync without -D) and mount points (`-x`), with everything below them. Filled from the backends' `SYMLINK_SKIPPED` notices and by the planner; asked by it for a
 * target-only pair, which a merge-join decides only once the source was listed past that path.
 */
export class KeptPaths {
  readonly #roots = new Set<string>()
  /** Roots the planner adds in merge order, each dropped once the merge is past it (see `addPassing`). */
  readonly #passing = new Map<string, string | undefined>()
  #queue: string[] = []
  #head = 0

  add(path: string): void {
    this.#roots.add(path)
  }

  /**
   * Keeps `path` and what is below it only until the merge-join has passed them (see `pass`): for
   * the planner, which adds a source file a filter leaves out (`--max-size`) as its pair comes, in
   * merge order. What the target has there comes in the pairs right after (a directory `d/` sorts
   * after the file `d`, its contents after it): held for ever, a mirror leaving out a million small
   * files (`--min-size`) would hold a million paths.
   */
  addPassing(path: string, kind?: string): void {
    if (this.#passing.has(path)) return
    this.#passing.set(path, kind)
    this.#queue.push(path)
  }

  /**
   * The merge has come to `key` (a pair's sort key, `entrySortKey`): the `addPassing` roots whose
   * subtrees lie wholly before it are dropped. Called for every pair, in order.
   */
  pass(key: string): void {
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head)
      this.#head = 0
    }
    while (this.#head < this.#queue.length) {
      const root = this.#queue[this.#head] as string
      const below = `${root}/`
      if (key.startsWith(below) || compareUtf8(key, below) <= 0) return
      this.#passing.delete(root)
      this.#head++
    }
    // All passed: the array starts again (no unbounded growth of a consumed queue).
    this.#queue = []
    this.#head = 0
  }

  /**
   * Takes a backend's notice when it is `SYMLINK_SKIPPED` (true: not shown, the user asked for it),
   * else leaves it (false); the path of an `OTHER_FILESYSTEM` or `SPECIAL_FILE_SKIPPED` one is kept
   * too (and the notice shown). A source's FIFO, socket or device is skipped as rsync without -D
   * skips it, which keeps the target's entry at its path: deleted as "not in source", the target's
   * copy of a file that became a FIFO was lost while the FIFO was said to be skipped (QA 25a #5).
   */
  takeNotice(n: { readonly code: NoticeCode; readonly path?: string | undefined }): boolean {
    if (n.code !== 'SYMLINK_SKIPPED' && n.code !== 'OTHER_FILESYSTEM' && n.code !== 'SPECIAL_FILE_SKIPPED') return false
    if (n.path !== undefined) this.#roots.add(n.path)
    return n.code === 'SYMLINK_SKIPPED'
  }

  /** True when `path` is one of the kept paths or below one (`a/b` is below `a`; `ab` is not). */
  covers(path: string): boolean {
    if (this.#roots.size === 0 && this.#passing.size === 0) return false
    for (let p = path; ; ) {
      if (this.#roots.has(p) || this.#passing.has(p)) return true
      const slash = p.lastIndexOf('/')
      if (slash < 0) return false
      p = p.slice(0, slash)
    }
  }

  /**
   * The kind given to `addPassing` for the held root at or above `path` (what is in the way there:
   * a plan's message names it, a symlink as a symlink, QA 26h), else undefined.
   */
  kindOver(path: string): string | undefined {
    if (this.#passing.size === 0) return undefined
    for (let p = path; ; ) {
      if (this.#passing.has(p)) return this.#passing.get(p)
      const slash = p.lastIndexOf('/')
      if (slash < 0) return undefined
      p = p.slice(0, slash)
    }
  }

  /** The kept paths themselves (those of `add` and `takeNotice`). */
  [Symbol.iterator](): Iterator<string> {
    return this.#roots[Symbol.iterator]()
  }

  /** True while some `addPassing` root is held: `pass` has something to do. */
  get waiting(): boolean {
    return this.#head < this.#queue.length
  }

  /** How many paths are held now (for tests: memory stays flat). */
  get size(): number {
    return this.#roots.size + this.#passing.size
  }
}
