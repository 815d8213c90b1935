/** The longest `--timeout` / `--contimeout` accepted, in seconds (a day). */
export const MAX_SECONDS = 86_400

/**
 * The shortest accepted, besides 0: less cannot be met by a working connection (QA 7 #12: 0.0001
 * timed out a healthy local server at once), and reads as a mistake for another unit.
 */
export const MIN_SECONDS = 0.1

/**
 * Parses a number of seconds for `--timeout` / `--contimeout` (rsync's names): `30`, `1.5`, or `0`
 * for the default. Throws with what to use instead.
 */
export function parseSeconds(value: string): number {
  const text = value.trim()
  const n = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isFinite(n) || n > MAX_SECONDS || (n > 0 && n < MIN_SECONDS)) {
    throw new Error(
      `Use a number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}, e.g. 30 or 2.5, or 0 for the default.`,
    )
  }
  return n
}
