/**
 * `--exclude-if-present` in a continuous sync: the source's directories the last full sync found
 * marked (each cycle is one with markers, see `continuousSync`'s `asCycle`). A change hint below one
 * is dropped, so that a busy cache directory does not make every change in it a full sync for
 * nothing. A hint of a marker itself (made or removed) is kept, and forgets them all until a full
 * sync that began after it has found them again: a change below a directory just unmarked is never
 * dropped. Memory: the marked directories' paths.
 */
export class MarkedHints {
  readonly #names: ReadonlySet<string>
  #marked = new Set<string>()
  #generation = 0

  constructor(names: readonly string[]) {
    this.#names = new Set(names)
  }

  /** True when markers are in use. */
  get active(): boolean {
    return this.#names.size > 0
  }

  /** True to drop the hint of `path` (below a marked directory, and no marker). */
  drops(path: string): boolean {
    if (this.#names.size === 0) return false
    if (this.#names.has(path.slice(path.lastIndexOf('/') + 1))) {
      this.#marked = new Set()
      this.#generation++
      return false
    }
    if (this.#marked.size === 0) return false
    if (this.#marked.has('')) return true
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      if (this.#marked.has(path.slice(0, i))) return true
    }
    return false
  }

  /**
   * For a full sync about to start: `onMarked` to give it, and `done` to call at its end, which
   * takes what it found (a subset, if its listing stopped early: dropping less) unless a marker's
   * hint came meanwhile.
   */
  fullSync(): { onMarked: (dir: string, side: 'source' | 'target') => void; done: () => void } {
    const generation = this.#generation
    const found = new Set<string>()
    return {
      onMarked: (dir, side) => {
        if (side === 'source') found.add(dir)
      },
      done: () => {
        if (generation === this.#generation) this.#marked = found
      },
    }
  }
}
