import type { RelPath } from '../model/rel-path.js'

/** Which side of a two-way job a version comes from: `a` (the first location given), `b` (the second). */
export type BisyncSide = 'a' | 'b'

/**
 * The name a conflict keeps a losing version under, beside the winner: `name.sync-conflict-
 * YYYYMMDD-HHMMSS-<SIDE>.ext` (`-<SIDE>-<nth>` from the second one of that second on) (DESIGN §5, Syncthing's shape, so tools that know those files find
 * these), in UTC so that two hosts name one conflict alike. The extension is the last one of the
 * name, kept last so the copy still opens with the same program (`report.sync-conflict-…-B.pdf`);
 * a dotfile's leading dot is not an extension (`.bashrc.sync-conflict-…-A`). The directory part
 * is kept: the copy sits beside the file it lost to.
 */
export function conflictName(path: RelPath, at: Date, side: BisyncSide, nth = 1): RelPath {
  const slash = path.lastIndexOf('/')
  const dir = path.slice(0, slash + 1)
  const base = path.slice(slash + 1)
  const dot = base.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, '']
  const iso = at.toISOString() // 2026-12-06T23:15:04.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`
  // A second conflict of the same file within the same second (a watch's passes follow each other
  // closely) takes the next free number: `-B-2`, never the first one's name (review of watch #1).
  const nthPart = nth > 1 ? `-${nth}` : ''
  return `${dir}${stem}.sync-conflict-${stamp}-${side.toUpperCase()}${nthPart}${ext}` as RelPath
}

/**
 * The path and side a conflict copy was kept for, from its name (`conflictName` read back), or
 * undefined for a name not of that shape.
 */
export function conflictOrigin(name: RelPath): { readonly path: RelPath; readonly side: BisyncSide } | undefined {
  const slash = name.lastIndexOf('/')
  const m = /^(.+)\.sync-conflict-\d{8}-\d{6}-([AB])(?:-\d+)?(\.[^.]+)?$/.exec(name.slice(slash + 1))
  if (!m) return undefined
  return { path: `${name.slice(0, slash + 1)}${m[1]}${m[3] ?? ''}` as RelPath, side: m[2] === 'A' ? 'a' : 'b' }
}
