/** True when `path` is one of `roots` or below one (`a/b` is below `a`; `ab` is not). */
export function atOrBelowAny(path: string, roots: ReadonlySet<string>): boolean {
  for (let p = path; ; ) {
    if (roots.has(p)) return true
    const slash = p.lastIndexOf('/')
    if (slash < 0) return false
    p = p.slice(0, slash)
  }
}
