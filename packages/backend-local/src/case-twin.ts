import { ExactNames } from './exact-names.js'

/**
 * On a target that does not tell names apart by case (exFAT, FAT, a casefolded ext4 directory,
 * macOS and Windows by default), `A.txt` finds the `a.txt` already there. Returns the first part of
 * `rel` that the file system answered with an entry of another name (`{ asked: 'A.txt', found:
 * 'a.txt' }`), or undefined if every part is there under its own name. Only called when a write
 * has already failed, so the directory reads cost nothing on the usual path. Read afresh, each
 * directory on the way (ExactNames' walk, nothing remembered).
 */
export function caseTwin(root: string, rel: string): { asked: string; found: string } | undefined {
  return new ExactNames(root).twinOf(rel)
}
