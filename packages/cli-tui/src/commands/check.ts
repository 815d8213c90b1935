import type { ExitCode } from '../errors/exit-codes.js'
import { runJobCommand } from '../job/run-job-command.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'

/**
 * `syncflow check SRC DST`: compares as a mirror would (writing nothing, taking no lock) and lists
 * the differences on stdout; exit 1 if there are any.
 */
export function checkCommand(source: string, target: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  return runJobCommand({ kind: 'check', mode: 'mirror', source, target, flags }, streams)
}
