/** Units of `--max-age` / `--min-age`, in milliseconds: rclone's (a bare number is seconds, as there). */
const UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  M: 30 * 86_400_000,
  y: 365 * 86_400_000,
}

/**
 * Parses `--max-age` / `--min-age`: how long ago a file was last modified, as rclone writes it
 * (`36h`, `7d`, `2w`, `1M`, `1y`; `90` is seconds). Resolves to milliseconds. A date is refused,
 * not taken as of now: an age counts anew at each cycle of a `watch`, a date would not.
 */
export function parseAge(value: string): number {
  const text = value.trim()
  // One part or several, as rclone (Go's durations) takes them: `1h30m`, `2d12h` were refused
  // though the message said "as rclone" (QA 25d).
  const ms = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) * 1000 : compoundAge(text)
  if (Number.isFinite(ms) && ms <= 1000 * UNITS.y!) return ms
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    throw new Error(
      'Give an age, not a date: how long before now, e.g. 36h, 7d, 2w (for files since a date, its distance from today).',
    )
  }
  throw new Error(
    'Use a number with a unit, as rclone: 90s, 30m, 36h, 7d, 2w, 1M (30 days), 1y; a bare number is seconds.',
  )
}

/** The sum of an age written in parts, each with its unit (`36h`, `1h30m`, `1d12h`); NaN otherwise. */
function compoundAge(text: string): number {
  if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w|M|y))+$/.test(text)) return Number.NaN
  let ms = 0
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|M|y)/g))
    ms += Number(part[1]) * (UNITS[part[2] as string] as number)
  return ms
}

/** An age in ms as `--max-age` takes it, for messages: `7d`, `36h`, `90s`. */
export function formatAge(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNITS[unit] as number
    if (ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms / 1000}s`
}
