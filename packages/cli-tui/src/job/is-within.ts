import { isAbsolute, relative, sep } from 'node:path'

/** True when local path `inner` is `outer` or below it. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`))
}
