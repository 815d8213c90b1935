/**
 * Adds the directories above `path` (`a/b/c` → `a/b`, `a`; never the root) to `into`, stopping at
 * the first one there already (those above it were added with it): a set of the directories a
 * stream of paths lies in, one lookup per path in the usual case of neighbours.
 */
export function addAncestorDirs(path: string, into: Set<string>): void {
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const dir = path.slice(0, cut)
    if (into.has(dir)) return
    into.add(dir)
  }
}
