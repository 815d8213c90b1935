import { readFileSync } from 'node:fs'

/** File handles a run holds whatever its concurrency: stdio, the event loop's, the state store's, a helper's pipes. */
const RESERVED_HANDLES = 40

/**
 * The least open-files limit syncflow runs under: Node holds about 37 handles before any work (its
 * loader, the event loop, stdio), and below that the run died with a stack trace while loading its
 * own modules (review 22 F5); with this, a few actions at once.
 */
export const MIN_OPEN_FILES = 48

/** File handles one action may hold at once: a source file and a temp file, or a file and a socket. */
const HANDLES_PER_ACTION = 2

let cached: number | undefined | null = null

/**
 * The soft limit of open files of this process (`ulimit -n`), from /proc/self/limits; undefined
 * where it cannot be read (not Linux) or is unlimited. Read once: Node raises the soft limit to
 * the hard one at start-up, so what is read here is what the run has.
 */
export function openFilesLimit(): number | undefined {
  if (cached !== null) return cached
  cached = undefined
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    if (line?.[1] !== undefined) cached = Number(line[1])
  } catch {
    // Not Linux, or no /proc: no cap.
  }
  return cached
}

/**
 * The most actions that may run at once under an open-files limit of `limit` (undefined: no cap).
 * A container or service with `ulimit -n 128` failed with EMFILE on every try (QA 22 #15: the
 * local target alone lets 256 small writes open their temp files at once); rsync runs there.
 */
export function openFilesCap(limit: number | undefined): number {
  if (limit === undefined) return Number.POSITIVE_INFINITY
  return Math.max(1, Math.floor((limit - RESERVED_HANDLES) / HANDLES_PER_ACTION))
}
