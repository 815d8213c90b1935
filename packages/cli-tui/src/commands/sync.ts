import type { ExitCode } from '../errors/exit-codes.js'
import { runJobCommand } from '../job/run-job-command.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'

/** `syncflow sync SRC DST`: one-way mirror; DST ends equal to SRC (extraneous DST files deleted). */
export function syncCommand(source: string, target: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  return runJobCommand({ kind: 'sync', mode: 'mirror', source, target, flags }, streams)
}
