import type { ExitCode } from '../errors/exit-codes.js'
import { runJobCommand } from '../job/run-job-command.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'

/**
 * `syncflow restore SRC DST`: `copy` with the sides swapped, so the arguments of `backup SRC DST`
 * restore it: files are copied from DST back into SRC (never deleting anything in SRC).
 */
export function restoreCommand(source: string, backup: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  return runJobCommand(
    {
      kind: 'sync',
      mode: 'copy',
      source: backup,
      target: source,
      flags,
      // Messages name the arguments as the user gave them: the engine's source is restore's DST.
      sideNames: { source: 'backup (DST)', target: 'original (SRC)' },
      // Every file the backup holds comes back: its copy of .syncflowignore is a file restored, not rules.
      noIgnoreFile: true,
    },
    streams,
  )
}
