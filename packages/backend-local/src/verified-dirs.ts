/** How many directories `VerifiedDirs` remembers; the least recently used are forgotten first. */
const DEFAULT_CAPACITY = 4096

/**
 * Directories below the root already checked to resolve inside it (no symlink in the chain),
 * each with the `dev:ino` it had then. A later check is one `lstat` of the directory compared with
 * that identity instead of a `realpath` (one failing readlink per path component): a symlink
 * swapped into the chain since resolves to another directory, so its identity differs and the full
 * check runs again. Bounded (LRU), so memory stays flat on any tree.
 */
export class VerifiedDirs {
  readonly #ids = new Map<string, string>()
  readonly #capacity: number
  /** The most recently used key: asked for again (the next file in the same directory), it stays where it is. */
  #newest: string | undefined

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity
  }

  /** The identity recorded for `rel`, marking it recently used; undefined when not known. */
  get(rel: string): string | undefined {
    const id = this.#ids.get(rel)
    if (id === undefined || rel === this.#newest) return id
    // Map order is insertion order: re-inserting moves it to the young end.
    this.#ids.delete(rel)
    this.#ids.set(rel, id)
    this.#newest = rel
    return id
  }

  /** Records `rel` as verified with identity `id`, forgetting the oldest entry when full. */
  set(rel: string, id: string): void {
    this.#ids.delete(rel)
    this.#ids.set(rel, id)
    this.#newest = rel
    if (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.keys().next().value
      if (oldest !== undefined) this.#ids.delete(oldest)
    }
  }

  /** Forgets `rel` and every directory below it (it was removed or moved). */
  forget(rel: string): void {
    this.#ids.delete(rel)
    this.#newest = undefined
    const prefix = `${rel}/`
    for (const key of this.#ids.keys()) if (key.startsWith(prefix)) this.#ids.delete(key)
  }

  /** Forgets every directory (the root itself was replaced). */
  clear(): void {
    this.#ids.clear()
    this.#newest = undefined
  }

  /** How many directories are remembered. */
  get size(): number {
    return this.#ids.size
  }
}
