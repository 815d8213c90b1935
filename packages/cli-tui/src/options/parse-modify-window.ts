/** Units `--modify-window` takes after its number, in milliseconds (rclone's durations; rsync's are seconds). */
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** The widest window taken: a year (more is a unit mistaken, and compares no mtime at all). */
const MAX_MS = 366 * 86_400_000

/**
 * Parses `--modify-window`: how far apart two mtimes may be and still count as equal. Seconds as
 * rsync takes them (`2`, `0.5`), or with a unit as rclone does (`2s`, `100ms`, `1h`; `d` too).
 * Resolves to milliseconds. Throws with what to use instead.
 */
export function parseModifyWindow(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim())
  const ms = m === null ? Number.NaN : Number(m[1]) * UNITS[m[2] ?? 's']!
  if (!Number.isFinite(ms) || ms > MAX_MS) {
    throw new Error('Use seconds (2, or 0.5), or a number with a unit: 100ms, 2s, 1h (at most a year).')
  }
  return ms
}
