/**
 * A side's name in a message, with its article: `the source`, `the backup (DST)`, and for a
 * two-way run's one-letter names `side A` (QA: "the A \"x\" does not exist", "Give a A and an B").
 */
export function theSide(name: string): string {
  return /^[A-Z]$/.test(name) ? `side ${name}` : `the ${name}`
}
