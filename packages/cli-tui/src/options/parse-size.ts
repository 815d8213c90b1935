const UNITS: Readonly<Record<string, number>> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }

/**
 * Parses a file size for `--max-size`/`--min-size`: bytes (`500`), or with a k, M, G or T suffix,
 * binary as in rsync and rclone (`100k`, `1.5G`; `KiB`, `MB`, `Mi` spellings too, all 1024-based).
 * A bare number is bytes, as rsync reads it (rclone reads KiB: write `100k` to mean that).
 */
export function parseSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b|i)?$/i.exec(value.trim())
  const bytes = m === null ? Number.NaN : Math.round(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!)
  if (!Number.isSafeInteger(bytes)) {
    throw new Error('Use a size in bytes with an optional k, M, G or T suffix (1024-based), e.g. 500k or 2G.')
  }
  return bytes
}
