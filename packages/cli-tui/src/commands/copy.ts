import type { ExitCode } from '../errors/exit-codes.js'
import { runJobCommand } from '../job/run-job-command.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'

/** `syncflow copy SRC DST` (alias `backup`): one-way, new and changed files only, never deletes. */
export function copyCommand(source: string, target: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  return runJobCommand({ kind: 'sync', mode: 'copy', source, target, flags }, streams)
}
