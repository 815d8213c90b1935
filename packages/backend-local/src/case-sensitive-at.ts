import {
  closeSync,
  type Dir,
  lstatSync,
  opendirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  type Stats,
  statfsSync,
  statSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/** `statfs` types whose names are case-insensitive by design: FAT, exFAT, HFS+, SMB (cifs, smb2). */
const CASE_INSENSITIVE_TYPES: ReadonlySet<number> = new Set([0x4d44, 0x2011bab0, 0x482b, 0xff534d42, 0xfe534d42])

/** Entries of a directory tried as probes: enough to find one with a letter in almost any directory. */
const PROBES = 32

/**
 * Whether the directory at `root` tells names apart by case (`Capabilities.caseSensitive`), asked
 * without writing anything: where `root` does not exist yet, of the nearest existing directory
 * above it, in which it will be made (a casefolded ext4 directory passes the flag on to those made
 * in it). Linux file systems are case-sensitive, but FAT and exFAT (`statfs` type, where the kernel
 * serves them), a FUSE-mounted exFAT or NTFS and a casefolded ext4 directory are not: those are
 * found by asking for an entry under its name with the case of its letters swapped (found, though
 * the directory lists no such name, means it folds case). The empty root of a FUSE mount, by the
 * boot sector of its device (exFAT). Without an entry to ask by, case-sensitive, as before. macOS and
 * Windows default to not.
 */
export function caseSensitiveAt(root: string): boolean {
  if (process.platform !== 'linux') return false
  let dir = root
  let st: Stats | undefined
  for (;;) {
    // Not only ENOENT: a root below a file (ENOTDIR), in a directory we may not search (EACCES) or
    // through a symlink loop (ELOOP) is the caller's to report, which a throw here made an internal
    // error at construction ("a source below a file").
    st = statDir(dir)
    if (st?.isDirectory() || dirname(dir) === dir) break
    dir = dirname(dir)
  }
  if (!st?.isDirectory()) return true
  let type: number | undefined
  try {
    type = statfsSync(dir).type
    if (CASE_INSENSITIVE_TYPES.has(type)) return false
  } catch {
    // No statfs here: the probe below alone.
  }
  const inside = probeEntries(dir)
  if (inside !== undefined) return inside
  // An empty directory: by its own name in the directory above, on the same file system.
  const above = dirname(dir)
  if (above === dir || statDir(above)?.dev !== st.dev) {
    // The empty root of a mount: a fresh USB drive mounted through exfat-fuse (statfs says only
    // FUSE) was taken as case-sensitive, and the first mirror onto it merged Dir/ and dir/ into one,
    // exit 0. The drive's boot sector names its file system (read, never written).
    return !(type === FUSE_SUPER_MAGIC && exfatFuseMountAt(dir))
  }
  return probeName(above, basename(dir)) ?? true
}

const FUSE_SUPER_MAGIC = 0x65735546

/**
 * Whether `dir` is the mount point of a block-device FUSE mount (`fuseblk`) of an exFAT file system:
 * its device's boot sector says `EXFAT   ` at byte 3. False where that cannot be read (not root,
 * no /proc): as before.
 */
function exfatFuseMountAt(dir: string): boolean {
  try {
    const real = realpathSync(dir)
    let source: string | undefined
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const f = line.split(' ')
      const dash = f.indexOf('-', 6)
      if (dash === -1 || unescapeField(f[4] ?? '') !== real) continue
      // A later mount on one mount point hides an earlier one: the last line decides.
      source = f[dash + 1] === 'fuseblk' ? unescapeField(f[dash + 2] ?? '') : undefined
    }
    if (source === undefined || !source.startsWith('/dev/')) return false
    const fd = openSync(source, 'r')
    try {
      const head = Buffer.alloc(11)
      return readSync(fd, head, 0, 11, 0) === 11 && head.toString('latin1', 3, 11) === 'EXFAT   '
    } finally {
      closeSync(fd)
    }
  } catch {
    return false
  }
}

/** mountinfo's octal escapes (`\040` for a space) undone. */
function unescapeField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)))
}

function statDir(dir: string): Stats | undefined {
  try {
    return statSync(dir, { throwIfNoEntry: false })
  } catch {
    return undefined
  }
}

/** Probes up to PROBES entries of `dir`: the answer of the first with a letter, or undefined. */
function probeEntries(dir: string): boolean | undefined {
  let handle: Dir | undefined
  try {
    handle = opendirSync(dir)
    for (let i = 0; i < PROBES; i++) {
      const entry = handle.readSync()
      if (entry === null) return undefined
      const answer = probeName(dir, entry.name)
      if (answer !== undefined) return answer
    }
    return undefined
  } catch {
    return undefined
  } finally {
    handle?.closeSync()
  }
}

/**
 * True when `name` in `dir`, asked for with the case of its letters swapped, is not found, or is
 * there under that name too (both there: case-sensitive); false when it is found though no entry
 * has that name (exfat-fuse answers such a lookup with another inode number: the listing decides);
 * undefined when `name` has no ASCII letter or cannot be asked about.
 */
function probeName(dir: string, name: string): boolean | undefined {
  const swapped = swapCase(name)
  if (swapped === name) return undefined
  try {
    if (lstatSync(join(dir, name), { throwIfNoEntry: false }) === undefined) return undefined
    if (lstatSync(join(dir, swapped), { throwIfNoEntry: false }) === undefined) return true
    return readdirSync(dir).includes(swapped)
  } catch {
    return undefined
  }
}

/**
 * `name` with the case of its letters swapped where every file system that folds case folds them:
 * ASCII, Latin-1 and Latin Extended-A, basic Greek and Cyrillic, each only where the swap comes
 * back to it (exFAT's upcase table, of Unicode 1.1's time, folds all of those). Others are folded
 * by some and not others: exFAT keeps `ı` and `I`, `ß` and `SS`, `ſ` and `S` apart and knows no
 * Georgian or Cherokee case, while casefolded ext4 takes `ß` for `ss`. Swapping every
 * letter, a directory whose first entry was `Straße.txt` or `Kırmızı.jpg` was asked for
 * `sTRASSE.TXT` or `kIRMIZI.JPG`, which exFAT does not find either: "case-sensitive", and its
 * twins were merged. A name with no such letter: undefined (the next entry is asked).
 */
function swapCase(name: string): string {
  let out = ''
  for (const ch of name) {
    const c = ch.codePointAt(0) as number
    const known = c < 0x17f || (c >= 0x386 && c <= 0x3ce) || (c >= 0x400 && c <= 0x45f)
    const upper = ch.toUpperCase()
    const swapped = upper !== ch ? upper : ch.toLowerCase()
    const back = upper !== ch ? swapped.toLowerCase() : swapped.toUpperCase()
    out += known && back === ch ? swapped : ch
  }
  return out
}
