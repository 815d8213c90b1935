import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { foldName } from '@syncflow/core'

/**
 * On a target that does not tell names apart by case (exFAT, FAT, a casefolded ext4 directory,
 * macOS and Windows by default), `A.txt` finds the `a.txt` already there. Returns the first part of
 * `rel` that the file system answered with an entry of another name (`{ asked: 'A.txt', found:
 * 'a.txt' }`), or undefined if every part is there under its own name. Only called when a write
 * has already failed, so the directory reads cost nothing on the usual path.
 */
export function caseTwin(root: string, rel: string): { asked: string; found: string } | undefined {
  let dir = root
  let prefix = ''
  for (const part of rel.split('/')) {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return undefined
    }
    if (!names.includes(part)) {
      const folded = foldName(part)
      const found = names.find((n) => foldName(n) === folded)
      return found === undefined ? undefined : { asked: prefix + part, found: prefix + found }
    }
    dir = join(dir, part)
    prefix += `${part}/`
  }
  return undefined
}
