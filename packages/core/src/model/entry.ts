import { utf8OrderUnit } from './compare-utf8.js'
import type { RelPath } from './rel-path.js'

/** Hash algorithms a backend may offer. `md5` and `sha256` are lowercase hex digests. */
export type HashAlgo = 'md5' | 'sha1' | 'sha256'

/** The kind of an entry. Backends without directories (S3) list only files (and dir markers as `dir`). */
export type EntryKind = 'file' | 'dir' | 'symlink'

/** One item of a backend listing. */
export interface Entry {
  /** Path relative to the backend root. */
  readonly path: RelPath
  readonly kind: EntryKind
  /** Size in bytes (0 for directories). */
  readonly size: number
  /** Modification time, ms since the epoch (may have sub-ms fraction where the backend keeps it). */
  readonly mtimeMs: number
  /** POSIX permission bits (`mode & 0o7777`), where the backend keeps them. */
  readonly mode?: number
  /** Digests already known without extra I/O (e.g. S3 single-part ETag = md5). */
  readonly hashes?: Partial<Record<HashAlgo, string>>
  /** The backend's change token (S3 ETag, `ino:ctimeNs` locally, …). Opaque. */
  readonly version?: string
  /** Target of a symlink (only for `kind: 'symlink'`). */
  readonly linkTarget?: string
  /**
   * A FIFO, socket or device that a mirror's target listed as a `file` of size 0 (see
   * `ListOptions.specialFiles`): never equal to a source file, whatever its size and mtime (an
   * empty source file would otherwise match it and leave it for ever: review 21 #2), and never
   * read, hashed or stat'ed for an mtime: replaced or deleted.
   */
  readonly special?: true
  /**
   * The file's identity as other names of it share it (a local file's `dev:ino`), with `nlink`, how
   * many names it has: set only by a listing asked for it (`ListOptions.linkIds`, for `-H`), and
   * only on a file of more than one name. Opaque; equal on two entries of one listing = one file.
   */
  readonly linkId?: string
  /** How many names the file of `linkId` has (over 1; with `linkId` only). */
  readonly nlink?: number
}

/**
 * The key that orders a listing: the path, with a trailing `/` for directories. Ordering listings
 * by this key in UTF-8 byte order puts a directory immediately before its contents, which is
 * also the order S3 lists keys and directory markers in.
 */
export function entrySortKey(entry: Pick<Entry, 'path' | 'kind'>): string {
  return entry.kind === 'dir' ? `${entry.path}/` : entry.path
}

/**
 * Compares two entries in listing order: `compareUtf8(entrySortKey(a), entrySortKey(b))`, without
 * building the keys (it runs for every listed entry, and twice per pair in the merge-join).
 */
export function compareEntries(a: Pick<Entry, 'path' | 'kind'>, b: Pick<Entry, 'path' | 'kind'>): number {
  const ap = a.path
  const bp = b.path
  const aDir = a.kind === 'dir'
  const bDir = b.kind === 'dir'
  if (ap === bp) return aDir === bDir ? 0 : aDir ? 1 : -1
  // A directory's key ends with "/" (0x2f) just after its path.
  const al = ap.length + (aDir ? 1 : 0)
  const bl = bp.length + (bDir ? 1 : 0)
  const n = Math.min(al, bl)
  for (let i = 0; i < n; i++) {
    const x = i < ap.length ? ap.charCodeAt(i) : 0x2f
    const y = i < bp.length ? bp.charCodeAt(i) : 0x2f
    if (x !== y) return utf8OrderUnit(x) - utf8OrderUnit(y)
  }
  return al - bl
}
