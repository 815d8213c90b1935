const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/**
 * Parses `--bwlimit RATE` into bytes/s: `0` (no limit), `500000`, `512k`, `10M`, `1.5G`, with an
 * optional `B`/`iB` and `/s` (`10MiB/s`). Suffixes are binary (k = 1024), as in rsync and rclone.
 */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(value.trim())
  const unit = m?.[2] !== undefined ? UNITS[m[2].toLowerCase()] : undefined
  if (m?.[1] !== undefined && unit !== undefined) {
    const bytes = Math.round(Number(m[1]) * unit)
    if (Number.isSafeInteger(bytes)) return bytes
  }
  throw new Error('Use bytes per second with an optional k, M or G suffix, e.g. 512k or 10M (0 = no limit).')
}
