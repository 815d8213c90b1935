/** What a poll's listing was: how many entries it gave and how long it took. */
export interface PollListing {
  readonly entries: number
  readonly tookMs: number
}

/** The shortest wait between two listings: what a small tree or prefix is polled at. */
export const POLL_MIN_MS = 2000
/** The longest default wait: a huge prefix still has its changes found within minutes. */
export const POLL_MAX_MS = 5 * 60_000
/** The wait is this many times the last listing's time, so listing takes at most ~1/11 of the time. */
const TOOK_FACTOR = 10
/** …and at least 1 s per this many entries: 10 LIST requests a second at most (S3 pages hold 1,000 keys). */
const ENTRIES_PER_SECOND = 10_000

/**
 * The default wait between two polls of a source without change events, from its last listing
 * (QA 23 #4: a fixed 2 s listed a 1 M-object S3 prefix 43,000 times a day, ~$216 a day in LIST
 * requests, and kept the process listing all the time). It grows with the listing: the larger of
 * 2 s, 10 × the time the listing took, and 1 s per 10,000 entries; at most 5 minutes.
 */
export function pollIntervalMs(last: PollListing): number {
  const wanted = Math.max(POLL_MIN_MS, TOOK_FACTOR * last.tookMs, (last.entries / ENTRIES_PER_SECOND) * 1000)
  return Math.round(Math.min(POLL_MAX_MS, wanted))
}
