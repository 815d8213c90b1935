import { accessSync, constants, lstatSync, statSync } from 'node:fs'

/** The sticky bit of a directory's mode (S_ISVTX). */
const STICKY = 0o1000

/**
 * Whether this process may remove `file`'s name from directory `dir`: write and search permission,
 * which access(2) also refuses on a read-only mount (`EROFS`) and for an immutable directory
 * (`EPERM`), even to root; and in a sticky directory (a shared /tmp), owning the directory or the
 * file, as unlink(2) requires of anyone but root. (An append-only directory, `chattr +a`, is not
 * known from here: its removal then fails and says so.)
 */
export function mayRemoveIn(dir: string, file: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
  } catch {
    return false
  }
  const euid = process.geteuid?.()
  if (euid === undefined || euid === 0) return true
  const d = statSync(dir, { throwIfNoEntry: false })
  if (d === undefined) return false
  if ((d.mode & STICKY) === 0 || d.uid === euid) return true
  return lstatSync(file, { throwIfNoEntry: false })?.uid === euid
}
