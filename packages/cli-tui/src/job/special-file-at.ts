import { statSync } from 'node:fs'
import { localPathOf } from './local-path-of.js'

/**
 * What a local location is when it is neither a directory nor a regular file (followed through a
 * symlink): `a character device`, `a block device`, `a FIFO (named pipe)`, `a socket`; undefined for
 * anything else (a directory, a file, nothing there, a remote location). QA 23 #9: `/dev/null` or a
 * FIFO as the source was said not to exist, although it does; a regular file already had its own
 * message ("is a file, not a directory").
 */
export function specialFileAt(location: string): string | undefined {
  let path: string | undefined
  try {
    path = localPathOf(location)
  } catch {
    // A malformed file:// URL: the command's own check says so.
    return undefined
  }
  if (path === undefined) return undefined
  try {
    const st = statSync(path, { throwIfNoEntry: false })
    if (st === undefined) return undefined
    if (st.isCharacterDevice()) return 'a character device'
    if (st.isBlockDevice()) return 'a block device'
    if (st.isFIFO()) return 'a FIFO (named pipe)'
    if (st.isSocket()) return 'a socket'
  } catch {
    // ENOTDIR, EACCES…: not something we can name; the generic message stands.
  }
  return undefined
}
