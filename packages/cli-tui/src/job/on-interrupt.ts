import { EXIT } from '../errors/exit-codes.js'

/**
 * Handles SIGINT/SIGTERM for one command: the first signal calls `stop` (abort the run, which then
 * finishes or abandons in-flight writes atomically and saves state); a second one exits at once
 * with 130. Returns the function that removes the handlers.
 */
export function onInterrupt(stop: () => void): () => void {
  let count = 0
  const handler = (): void => {
    count++
    if (count === 1) stop()
    else process.exit(EXIT.INTERRUPTED)
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return () => {
    process.off('SIGINT', handler)
    process.off('SIGTERM', handler)
  }
}
