import { readFile } from 'node:fs/promises'
import { isAbsolute, posix, relative, sep } from 'node:path'

/** One line of /proc/self/mountinfo: which directory of which filesystem is seen at `mountPoint`. */
export interface MountEntry {
  /** The filesystem (`major:minor`, as mountinfo gives it for every mount of it, bind mounts included). */
  readonly device: string
  /** The directory of that filesystem the mount shows (`/` unless a bind mount of a directory inside it). */
  readonly root: string
  readonly mountPoint: string
}

/**
 * A directory as its filesystem knows it, whatever mount leads there: `t/view` bind-mounted from
 * `t/data/photos` is `{ device, path: '/…/t/data/photos' }`, as `t/data/photos` itself is.
 */
export interface FilesystemPlace {
  readonly device: string
  readonly path: string
}

/** mountinfo's octal escapes (`\040` for a space, `\134` for a backslash) undone. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)))
}

/** The mounts of a /proc/self/mountinfo text, in its order (a later mount on one mount point hides an earlier one). */
export function parseMountInfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = []
  for (const line of text.split('\n')) {
    const f = line.split(' ')
    if (f.length < 5 || !/^\d+:\d+$/.test(f[2] as string)) continue
    mounts.push({
      device: f[2] as string,
      root: unescapeField(f[3] as string),
      mountPoint: unescapeField(f[4] as string),
    })
  }
  return mounts
}

/** This process's mounts, or undefined where there is no /proc/self/mountinfo (not Linux, /proc not mounted). */
export async function readMounts(): Promise<MountEntry[] | undefined> {
  try {
    return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'))
  } catch {
    return undefined
  }
}

/** `rel` (a relative path, `''` for none) below the filesystem path `base`. */
function below(base: string, rel: string): string {
  return rel === '' ? base : posix.join(base, ...rel.split(sep))
}

/** The part of `path` below `dir`, or undefined when `path` is not `dir` or below it. */
function relativeWithin(path: string, dir: string): string | undefined {
  const rel = relative(dir, path)
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`)) ? rel : undefined
}

/**
 * Where the real (absolute, symlinks resolved) path `real` lies in its filesystem: through the
 * mount it is in (the longest mount point above it, the last one mounted there), undefined when no
 * mount holds it.
 */
export function placeOf(real: string, mounts: readonly MountEntry[]): FilesystemPlace | undefined {
  let best: { mount: MountEntry; rel: string } | undefined
  for (const mount of mounts) {
    const rel = relativeWithin(real, mount.mountPoint)
    if (rel === undefined) continue
    if (best === undefined || mount.mountPoint.length >= best.mount.mountPoint.length) best = { mount, rel }
  }
  return best && { device: best.mount.device, path: below(best.mount.root, best.rel) }
}

/**
 * Every filesystem directory a walk of `real` can reach: its own place (everything below it in its
 * filesystem), and the root of each mount below it (another filesystem, or a bind mount of a
 * directory from anywhere).
 */
export function placesReachedFrom(real: string, mounts: readonly MountEntry[]): FilesystemPlace[] {
  const own = placeOf(real, mounts)
  const places = own === undefined ? [] : [own]
  for (const mount of mounts) {
    const rel = relativeWithin(mount.mountPoint, real)
    if (rel !== undefined && rel !== '') places.push({ device: mount.device, path: mount.root })
  }
  return places
}
