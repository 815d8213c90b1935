import { compareEntries, type Entry } from '../model/entry.js'
import { parentRelPath } from '../model/rel-path.js'

/**
 * The target entries a listing left out as excluded (kept, without `--delete-excluded`), in
 * listing order, for the planner behind it: a directory that holds one cannot be removed, so its
 * delete is not planned (QA 16 F6: `sync` skipped it with "directory not empty" on every run while
 * `check` reported it, exit 1, forever). The listing runs ahead of the planner; what lies between
 * them is kept, one entry per run of siblings (they tell the same directories apart).
 */
export class ExcludedTrail {
  readonly #queue: Pick<Entry, 'path' | 'kind'>[] = []
  #head = 0
  #lastParent: string | undefined

  /**
   * Notes an excluded entry, as the listing reads it. A directory is always kept (not only the first
   * of its siblings): it stands for its own name, which a new file of that name would clash with
   * (see holdCopiesBesideDirs), and nothing below it is listed to say it is there.
   */
  push(entry: Pick<Entry, 'path' | 'kind'>): void {
    const parent = parentRelPath(entry.path) ?? ''
    if (parent === this.#lastParent && entry.kind !== 'dir') return
    this.#lastParent = parent
    this.#queue.push({ path: entry.path, kind: entry.kind })
  }

  /** Takes the noted entries that come before `entry` in listing order (all of them without one). */
  takeBefore(entry: Pick<Entry, 'path' | 'kind'> | undefined): string[] {
    const out: string[] = []
    while (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head] as Pick<Entry, 'path' | 'kind'>
      if (entry !== undefined && compareEntries(next, entry) >= 0) break
      out.push(next.path)
      this.#head++
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head)
      this.#head = 0
    }
    return out
  }
}
