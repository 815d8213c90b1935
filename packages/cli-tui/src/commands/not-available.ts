import type { ExitCode } from '../errors/exit-codes.js'
import { usageError } from '../errors/usage-error.js'

/**
 * What a command that is not built yet does: a usage error saying which command, and what to use
 * meanwhile. Thrown, not printed here, so that `run` says it as any usage error and a --json reader
 * gets its final `done` (QA 29b: `bisync --json` printed nothing on stdout).
 */
export function notAvailable(name: string, instead: string): ExitCode {
  throw usageError(`"${name}" is not available yet in this version of syncflow.`, instead)
}
