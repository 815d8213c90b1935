/** Largest `--concurrency` accepted: more only adds contention (and file handles). */
export const MAX_CONCURRENCY = 256

/** Parses `--concurrency N`: a whole number from 1 to 256. Throws with what to use instead. */
export function parseConcurrency(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new Error(`Use a whole number from 1 to ${MAX_CONCURRENCY}, e.g. --concurrency 8.`)
  }
  return n
}
