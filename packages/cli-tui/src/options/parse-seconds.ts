/** The longest `--timeout` / `--contimeout` accepted, in seconds (a day). */
export const MAX_SECONDS = 86_400

/**
 * Parses a number of seconds for `--timeout` / `--contimeout` (rsync's names): `30`, `1.5`, or `0`
 * for the default. Throws with what to use instead.
 */
export function parseSeconds(value: string): number {
  const text = value.trim()
  const n = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isFinite(n) || n > MAX_SECONDS) {
    throw new Error(`Use a number of seconds from 0 to ${MAX_SECONDS}, e.g. 30 or 2.5 (0 = the default).`)
  }
  return n
}
