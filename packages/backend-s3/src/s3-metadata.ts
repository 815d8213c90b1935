// The user metadata syncflow keeps on objects. Keys are rclone's, so each tool reads what the
// other wrote: `mtime` (float seconds since the epoch), `mode` (octal, with the file type bits,
// e.g. 0100644) and `md5chksum` (base64 MD5 of the whole object, for multipart uploads whose ETag
// is not an MD5).

/** `x-amz-meta-mtime`. */
export const META_MTIME = 'mtime'
/** `x-amz-meta-mode`. */
export const META_MODE = 'mode'
/** `x-amz-meta-md5chksum`. */
export const META_MD5 = 'md5chksum'

/**
 * Formats an mtime as float seconds with nine decimals (`1700000000.123456789`): exact from
 * `mtimeNs` (ns since the epoch) when given, else from ms rounded to the microsecond (a double
 * holding ms since the epoch carries no finer digits). rclone compares it to the nanosecond: to
 * the µs, it saw every object syncflow wrote from a local file as needing a new mtime.
 */
export function formatMtime(mtimeMs: number, mtimeNs?: bigint): string {
  if (mtimeNs !== undefined) {
    const sign = mtimeNs < 0n ? '-' : ''
    const abs = mtimeNs < 0n ? -mtimeNs : mtimeNs
    return `${sign}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`
  }
  const sign = mtimeMs < 0 ? '-' : ''
  const abs = Math.abs(mtimeMs)
  let sec = Math.floor(abs / 1000)
  let nanos = Math.round((abs - sec * 1000) * 1e3) * 1e3
  if (nanos >= 1e9) {
    sec += 1
    nanos -= 1e9
  }
  return `${sign}${sec}.${String(nanos).padStart(9, '0')}`
}

/**
 * The mtime to store for `mtimeMs` when copying an object whose metadata says `stored`: exact from
 * `mtimeNs` when given; else `stored` itself when it is that mtime (rclone's nanoseconds, which a
 * double of ms cannot carry, kept across an S3 → S3 copy); else it formatted anew.
 */
export function copiedMtime(stored: string | undefined, mtimeMs: number, mtimeNs?: bigint): string {
  if (mtimeNs !== undefined) return formatMtime(mtimeMs, mtimeNs)
  const ms = parseMtime(stored)
  return ms !== undefined && stored !== undefined && Math.abs(ms - mtimeMs) < 0.001 ? stored : formatMtime(mtimeMs)
}

/**
 * The nanoseconds since the epoch that float seconds as rclone and syncflow write them say exactly
 * (`1600000000.123456789`, up to nine decimals); undefined for any other form (an exponent, more
 * decimals, not a number), whose value only `parseMtime` gives.
 */
export function parseMtimeNs(value: string | undefined): bigint | undefined {
  const m = value === undefined ? null : /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(value.trim())
  if (!m) return undefined
  const ns = BigInt(m[2]!) * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'))
  return m[1] === '-' ? -ns : ns
}

/**
 * The farthest mtime taken from metadata, either side of 1970: a Date's range (±275760 years), which
 * a local write takes (tmpfs and btrfs keep it, ext4 clamps it). It was the end of year 9999: a
 * file beyond it (`touch -d @400000000000` on tmpfs) was uploaded with its mtime, read back as the
 * upload time, and touched again on every run without a state record, `check` never in sync (QA 31c).
 */
const MAX_MTIME_MS = 8_640_000_000_000_000

/**
 * Parses float seconds (as rclone and syncflow write them) into ms; undefined when not a number or
 * beyond a Date's range either way (`1e20` failed the local write with EINVAL): then the object's upload
 * time stands in, as for an object without the key.
 */
export function parseMtime(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*-?\d+(\.\d*)?([eE][-+]?\d+)?\s*$/.test(value)) return undefined
  const ms = Number(value) * 1000
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_MTIME_MS ? ms : undefined
}

/** Formats permission bits as rclone does: octal with the regular-file type bits. */
export function formatMode(mode: number): string {
  return `0${(0o100000 | (mode & 0o7777)).toString(8)}`
}

/**
 * Parses an octal mode into the read/write/execute bits (`& 0o777`); undefined when it is not a
 * number or its type bits say other than a regular file. Metadata is anyone's with write access to
 * the bucket: setuid, setgid and sticky bits are never taken from it (a restore run as root would
 * otherwise plant setuid files), as `rclone copy -M` drops them too.
 */
export function parseMode(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-7]{1,7}$/.test(value.trim())) return undefined
  const mode = Number.parseInt(value.trim(), 8)
  const type = mode & 0o170000
  if (type !== 0 && type !== 0o100000) return undefined
  return mode & 0o777
}

/** An ETag without its quotes. */
export function unquoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined
  const t = etag.trim()
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t
}

/** The MD5 an ETag stands for: only a single-part ETag (32 hex digits) is one; `abc…-3` never is. */
export function md5FromEtag(etag: string | undefined): string | undefined {
  return etag !== undefined && /^[0-9a-f]{32}$/i.test(etag) ? etag.toLowerCase() : undefined
}

/** base64 (`md5chksum`) → hex; undefined when it is not a 16-byte digest. */
export function md5FromMetadata(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const bytes = Buffer.from(value, 'base64')
  return bytes.length === 16 && bytes.toString('base64') === value.trim() ? bytes.toString('hex') : undefined
}

/** hex → base64 (for `md5chksum` and `Content-MD5`). */
export function md5ToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64')
}
