const UNITS: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Below this, a bare number is more likely KiB/s meant the rsync/rclone way than bytes/s. */
const BARE_WARNING_BELOW = 64 * 1024

/**
 * Parses `--bwlimit RATE` into bytes/s: `0` (no limit), `500000`, `512k`, `10M`, `1.5G`, with an
 * optional `B`/`iB`/`i` and `/s` (`10MiB/s`, rclone's `10Mi`), case-insensitive. Suffixes are
 * binary (k = 1024), as in rsync and rclone; a bare number is bytes/s (see `bareRateWarning`).
 */
export function parseRate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(?:([kmg])i?b?|b)?(?:\/s)?$/i.exec(value.trim())
  if (m?.[1] !== undefined) {
    const bytes = Math.round(Number(m[1]) * (m[2] !== undefined ? (UNITS[m[2].toLowerCase()] ?? 1) : 1))
    // A rate above 0 that rounds to 0 would be no limit at all, the opposite of what was asked:
    // `--bwlimit 0.4` ran unlimited, under a warning that it was 0.4 bytes/s (QA 27d).
    if (bytes === 0 && Number(m[1]) > 0) {
      throw new Error(
        `${value.trim()} is under 1 byte/s, which would be no limit (0): use bytes per second with an optional k, M or G suffix, e.g. 512k or 10M.`,
      )
    }
    if (Number.isSafeInteger(bytes)) return bytes
  }
  throw new Error(
    'Use bytes per second with an optional k, M or G suffix (Ki, Mi, Gi too), e.g. 512k or 10M (0 = no limit).',
  )
}

/**
 * The warning for a `--bwlimit` that is a bare number under 64k: syncflow reads it as bytes/s, where
 * rsync's `--bwlimit=1000` and rclone's `--bwlimit 1000` mean KiB/s (a job moved from either would
 * run 1024 times slower, unwarned). `1000B` says bytes/s on purpose and gets no warning.
 */
export function bareRateWarning(value: string): string | undefined {
  const text = value.trim()
  if (!/^\d+(?:\.\d+)?$/.test(text)) return undefined
  const n = Number(text)
  if (n === 0 || n >= BARE_WARNING_BELOW) return undefined
  return `--bwlimit ${text} is ${text} bytes/s; rsync and rclone read a bare number as KiB/s: write ${text}k if you meant that (or ${text}B to keep bytes/s without this warning)`
}
