import type { ExitCode } from '../errors/exit-codes.js'
import { runJobCommand } from '../job/run-job-command.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'

/** `syncflow bisync A B`: two-way sync from the records of the last run. */
export function bisyncCommand(a: string, b: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  return runJobCommand({ kind: 'bisync', mode: 'mirror', source: a, target: b, flags }, streams)
}
