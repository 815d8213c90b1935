import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { foldName } from '@syncflow/core'

/**
 * For a target that does not tell names apart by case (exFAT, FAT, a casefolded directory): which
 * part of a path the file system would find under another name. A full sync's listing check keeps
 * a source's twins apart (`foldCase`), but a watch cycle syncs a few paths and never sees their
 * siblings: its stat of `Readme` found `README` (then overwritten with Readme's bytes), and its
 * write of `dir/b` went into `Dir/` (review 31). Directories found under their own name are
 * remembered, so a write costs a read of its parent directory the first time only.
 */
export class ExactNames {
  readonly #root: string
  readonly #exact = new Set<string>()
  readonly #readNames: (dir: string) => string[]

  constructor(root: string, readNames: (dir: string) => string[] = (dir) => readdirSync(dir)) {
    this.#root = root
    this.#readNames = readNames
  }

  /**
   * The first part of `rel` ('' is the root) there only under another name: `{ asked, found }`
   * (both paths from the root); undefined when each part is there under its own name, or is
   * missing (made under its own name then), or cannot be read (the call that uses it says why).
   * `isDir`: `rel` itself is a directory (a write's parent, a directory stated), remembered too when
   * found under its own name; otherwise every file written into `d/` read d's parent again, and
   * every `mkdir` and `stat` their parent (an initial sync onto exFAT took twice as long, a flat
   * directory of 3,000 subdirectories 4 times: 12,000 reads of a 3,000-entry directory).
   */
  twinOf(rel: string, isDir = false): { asked: string; found: string } | undefined {
    if (rel === '') return undefined
    const parts = rel.split('/')
    let prefix = ''
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string
      const path = prefix + part
      if (!this.#exact.has(path)) {
        let names: string[]
        try {
          names = this.#readNames(prefix === '' ? this.#root : join(this.#root, prefix))
        } catch {
          return undefined
        }
        if (!names.includes(part)) {
          const folded = foldName(part)
          const found = names.find((n) => foldName(n) === folded)
          if (found !== undefined) return { asked: path, found: prefix + found }
          // Missing: a directory asked for is made under its own name by the call that asked, so
          // the other writes into it (started before it was made) need not read for it again.
          if (isDir) this.made(rel)
          return undefined
        }
        if (i < parts.length - 1 || isDir) this.#remember(path)
      }
      prefix = `${path}/`
    }
    return undefined
  }

  /** `rel`, a directory, was just made under its own name (by `mkdir`, or as a write's parent), and so each directory on its way. */
  made(rel: string): void {
    if (rel === '') return
    for (let i = rel.indexOf('/'); i !== -1; i = rel.indexOf('/', i + 1)) this.#remember(rel.slice(0, i))
    this.#remember(rel)
  }

  /**
   * `rel` is deleted or moved away (by this backend): it and what is below it are looked for again.
   * Remembered for the backend's life, a directory deleted then made again under another case by
   * someone else was still taken for its own name, and a write below it went into the twin.
   */
  forget(rel: string): void {
    if (!this.#exact.delete(rel)) return
    const below = `${rel}/`
    for (const path of this.#exact) if (path.startsWith(below)) this.#exact.delete(path)
  }

  #remember(path: string): void {
    // Bounded, as the other per-run sets: a watch over millions of directories reads some again.
    if (this.#exact.size >= 200_000) this.#exact.clear()
    this.#exact.add(path)
  }
}
