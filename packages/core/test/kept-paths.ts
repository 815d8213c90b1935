import { createPathFilter, type EntryKind, type PathFilterOptions, type RelPath, toRelPath } from '@syncflow/core'

/** A RelPath from a test's string. */
export const p = (s: string): RelPath => toRelPath(s)

/** The paths of `paths` that the filter of `opts` keeps (a trailing `/` marks a directory). */
export function kept(opts: PathFilterOptions, paths: string[]): string[] {
  const filter = createPathFilter(opts)
  return paths.filter((s) => {
    const kind: EntryKind = s.endsWith('/') ? 'dir' : 'file'
    return !filter.isExcluded(p(s.replace(/\/$/, '')), kind)
  })
}
