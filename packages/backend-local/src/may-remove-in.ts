import { accessSync, constants } from 'node:fs'

/**
 * Whether this process may remove names from directory `dir`: write and search permission, which
 * access(2) also refuses on a read-only mount (`EROFS`) and for an immutable directory (`EPERM`),
 * even to root. (A sticky directory's further rule, only the owners may remove a name, is not
 * checked: the removal then fails and says so.)
 */
export function mayRemoveIn(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK)
    return true
  } catch {
    return false
  }
}
