/**
 * ms → the seconds `utimes` takes. libuv truncates to whole microseconds, and `x / 1000` is often a
 * hair below the true value (1234567890.123 is 1234567890.12299990… as a double), so a plain division
 * would store …122.999 ms. Adding half a microsecond rounds to the nearest microsecond instead:
 * whole-ms mtimes (S3, other tools) round-trip exactly, finer ones to within 0.5 µs. Also for the
 * target root, which the CLI sets (its `stat().mtime`, a Date, kept the millisecond only: QA 31c).
 */
export function utimeSeconds(mtimeMs: number): number | string {
  // Half a µs away from zero: libuv truncates the fraction toward zero (1.123 s became
  // 1.122999999), and before 1970 that is upwards (-5 s was set as -4.9999995, read -4.999999).
  const seconds = (mtimeMs + (mtimeMs < 0 ? -0.0005 : 0.0005)) / 1000
  // Node's utimes take a negative number (before 1970) for "now" (toUnixTimestamp); a numeric
  // string is passed through as it is, to the microsecond.
  return seconds < 0 ? String(seconds) : seconds
}
