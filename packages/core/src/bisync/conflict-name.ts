import type { RelPath } from '../model/rel-path.js'

/** Which side of a two-way job a version comes from: `a` (the first location given), `b` (the second). */
export type BisyncSide = 'a' | 'b'

/**
 * The name a conflict keeps a losing version under, beside the winner: `name.sync-conflict-
 * YYYYMMDD-HHMMSS-<SIDE>.ext` (DESIGN §5, Syncthing's shape, so tools that know those files find
 * these), in UTC so that two hosts name one conflict alike. The extension is the last one of the
 * name, kept last so the copy still opens with the same program (`report.sync-conflict-…-B.pdf`);
 * a dotfile's leading dot is not an extension (`.bashrc.sync-conflict-…-A`). The directory part
 * is kept: the copy sits beside the file it lost to.
 */
export function conflictName(path: RelPath, at: Date, side: BisyncSide): RelPath {
  const slash = path.lastIndexOf('/')
  const dir = path.slice(0, slash + 1)
  const base = path.slice(slash + 1)
  const dot = base.lastIndexOf('.')
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, '']
  const iso = at.toISOString() // 2026-12-06T23:15:04.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`
  return `${dir}${stem}.sync-conflict-${stamp}-${side.toUpperCase()}${ext}` as RelPath
}

/**
 * The path and side a conflict copy was kept for, from its name (`conflictName` read back), or
 * undefined for a name not of that shape.
 */
export function conflictOrigin(name: RelPath): { readonly path: RelPath; readonly side: BisyncSide } | undefined {
  const slash = name.lastIndexOf('/')
  const m = /^(.+)\.sync-conflict-\d{8}-\d{6}-([AB])(\.[^.]+)?$/.exec(name.slice(slash + 1))
  if (!m) return undefined
  return { path: `${name.slice(0, slash + 1)}${m[1]}${m[3] ?? ''}` as RelPath, side: m[2] === 'A' ? 'a' : 'b' }
}
