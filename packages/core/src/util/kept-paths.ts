import type { NoticeCode } from '../model/sync-event.js'

/**
 * Paths a mirror keeps on the target although the source lists nothing there: source symlinks left
 * out on purpose (`--symlinks skip`, or a target that cannot store symlinks), with everything below
 * them. Filled from the backends' `SYMLINK_SKIPPED` notices and by the planner; asked by it for a
 * target-only pair, which a merge-join decides only once the source was listed past that path.
 */
export class KeptPaths {
  readonly #roots = new Set<string>()

  add(path: string): void {
    this.#roots.add(path)
  }

  /**
   * Takes a backend's notice when it is `SYMLINK_SKIPPED` (true: not shown, the user asked for it),
   * else leaves it (false); the path of an `OTHER_FILESYSTEM` one is kept too (and the notice shown).
   */
  takeNotice(n: { readonly code: NoticeCode; readonly path?: string | undefined }): boolean {
    if (n.code !== 'SYMLINK_SKIPPED' && n.code !== 'OTHER_FILESYSTEM') return false
    if (n.path !== undefined) this.#roots.add(n.path)
    return n.code === 'SYMLINK_SKIPPED'
  }

  /** True when `path` is one of the kept paths or below one (`a/b` is below `a`; `ab` is not). */
  covers(path: string): boolean {
    if (this.#roots.size === 0) return false
    for (let p = path; ; ) {
      if (this.#roots.has(p)) return true
      const slash = p.lastIndexOf('/')
      if (slash < 0) return false
      p = p.slice(0, slash)
    }
  }

  /** The kept paths themselves. */
  [Symbol.iterator](): Iterator<string> {
    return this.#roots[Symbol.iterator]()
  }
}
