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

  constructor(root: string) {
    this.#root = root
  }

  /**
   * The first part of `rel` ('' is the root) there only under another name: `{ asked, found }`
   * (both paths from the root); undefined when each part is there under its own name, or is
   * missing (made under its own name then), or cannot be read (the call that uses it says why).
   */
  twinOf(rel: string): { asked: string; found: string } | undefined {
    if (rel === '') return undefined
    const parts = rel.split('/')
    let prefix = ''
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string
      const path = prefix + part
      if (!this.#exact.has(path)) {
        let names: string[]
        try {
          names = readdirSync(prefix === '' ? this.#root : join(this.#root, prefix))
        } catch {
          return undefined
        }
        if (!names.includes(part)) {
          const folded = foldName(part)
          const found = names.find((n) => foldName(n) === folded)
          return found === undefined ? undefined : { asked: path, found: prefix + found }
        }
        if (i < parts.length - 1) this.#exact.add(path)
      }
      prefix = `${path}/`
    }
    return undefined
  }
}
