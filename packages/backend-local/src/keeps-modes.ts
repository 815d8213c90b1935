import { statfsSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Filesystems whose files have no POSIX modes of their own (a chmod succeeds and changes nothing;
 * the listing shows a fixed mode): FAT (vfat), exFAT, NTFS through the kernel (ntfs3) or FUSE
 * (ntfs-3g is `fuseblk`), and SMB/CIFS shares. `statfs(2)` magic numbers.
 */
const NO_MODES: ReadonlySet<number> = new Set([
  0x4d44, // MSDOS_SUPER_MAGIC (vfat)
  0x2011bab0, // EXFAT_SUPER_MAGIC
  0x5346544e, // NTFS_SB_MAGIC (ntfs, ntfs3)
  0x65735546, // FUSE_SUPER_MAGIC (fuseblk: ntfs-3g, exfat-fuse)
  0xff534d42, // CIFS_SUPER_MAGIC
  0xfe534d42, // SMB2_SUPER_MAGIC
  0x517b, // SMB_SUPER_MAGIC
])

/**
 * Whether the filesystem of `root` (or, for a root not made yet, of its nearest existing parent)
 * keeps file modes. Where it does not, comparing modes would find every file "mode differs" on every
 * run and write it again (a backup to a USB disk or a NAS). Linux only (elsewhere true: no probe);
 * unknown (statfs fails) counts as keeping them.
 */
export function keepsModes(root: string): boolean {
  if (process.platform === 'win32') return false
  if (process.platform !== 'linux') return true
  const type = fsTypeOf(root)
  return type === undefined || keepsModesOfType(type)
}

/**
 * The mtime precision, in ms, of the filesystem of `root` (as `keepsModes` finds it): FAT keeps
 * 2 s, the kernel's exFAT 10 ms; 1 elsewhere and where unknown. Found without writing (a `statfs`),
 * so also for a source: with 1 ms for every local root, a backup to a FAT or exFAT USB disk
 * differed on every run ("touched" every file, each run) unless --modify-window was given
 * (QA 30i #4). exFAT through FUSE (exfat-fuse, 1 s) is a FUSE filesystem like any other: not known.
 */
export function mtimePrecisionOf(root: string): number {
  if (process.platform !== 'linux') return 1
  const type = fsTypeOf(root)
  return type === undefined ? 1 : mtimePrecisionOfType(type)
}

/** The mtime precision in ms of a filesystem of `statfs` type `type`. */
export function mtimePrecisionOfType(type: number): number {
  if (type === 0x4d44) return 2000 // MSDOS_SUPER_MAGIC (vfat): 2 s
  if (type === 0x2011bab0) return 10 // EXFAT_SUPER_MAGIC: 10 ms
  return 1
}

/** The `statfs` type of `root`, or of its nearest existing parent; undefined where statfs fails. */
function fsTypeOf(root: string): number | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    try {
      return statfsSync(dir).type
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) return undefined
    }
  }
}

/** Whether a filesystem of `statfs` type `type` keeps file modes. */
export function keepsModesOfType(type: number): boolean {
  return !NO_MODES.has(type)
}
