/** The longest `--timeout` / `--contimeout` accepted, in seconds (a day). */
export const MAX_SECONDS = 86_400

/**
 * The shortest accepted, besides 0: less cannot be met by a working connection (QA 7 #12: 0.0001
 * timed out a healthy local server at once), and reads as a mistake for another unit.
 */
export const MIN_SECONDS = 0.1

/** Units a duration may take after each number, in seconds (Go's, as rclone's `--timeout 5m` takes them). */
const UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 }

/**
 * Parses a number of seconds for `--timeout` / `--contimeout` (rsync's names): `30`, `1.5`, or `0`
 * for the default; or a duration as rclone takes these flags (`5m`, `90s`, `1m30s`, `500ms`), so
 * that an rclone user's `--timeout 5m` works as meant. Throws with what to use instead.
 */
export function parseSeconds(value: string): number {
  const text = value.trim()
  let n = Number.NaN
  if (/^\d+(?:\.\d+)?$/.test(text)) n = Number(text)
  else if (/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(text)) {
    n = 0
    for (const [, num, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) n += Number(num) * UNITS[unit!]!
  }
  if (!Number.isFinite(n) || n > MAX_SECONDS || (n > 0 && n < MIN_SECONDS)) {
    throw new Error(
      `Use a number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}, e.g. 30 or 2.5 (or with a unit: 90s, 5m, 1h), or 0 for the default.`,
    )
  }
  return n
}
