import { EXIT } from '../errors/exit-codes.js'

/**
 * A second signal this soon after the first is the same interruption delivered twice, not a user
 * asking to quit at once: coreutils `timeout -s INT` (without --foreground) signals the child and
 * then its whole process group, and a service manager may signal the main process and its group
 * alike; taken as a second Ctrl-C, that forced an exit without the summary or the saved state in
 * a third of the runs (QA 22 #17). Nobody presses Ctrl-C twice within this.
 */
const SAME_SIGNAL_MS = 250

/**
 * Handles SIGINT/SIGTERM for one command: the first signal calls `stop` with its name (abort the run, which then
 * finishes or abandons in-flight writes atomically and saves state); a second one, at least
 * SAME_SIGNAL_MS later, exits at once with 130. Returns the function that removes the handlers.
 */
export function onInterrupt(stop: (signal: NodeJS.Signals) => void): () => void {
  let first: number | undefined
  const handler = (signal: NodeJS.Signals): void => {
    const now = performance.now()
    if (first === undefined) {
      first = now
      stop(signal)
    } else if (now - first >= SAME_SIGNAL_MS) process.exit(EXIT.INTERRUPTED)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
