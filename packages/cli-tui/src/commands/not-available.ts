import { EXIT, type ExitCode } from '../errors/exit-codes.js'
import type { Streams } from '../output/streams.js'

/** What a command that is not built yet prints: which command, and what to use meanwhile. */
export function notAvailable(name: string, instead: string, streams: Streams): ExitCode {
  streams.stderr.write(`syncflow: "${name}" is not available yet in this version of syncflow.\n  ${instead}\n`)
  return EXIT.USAGE
}
