import type { ExitCode } from '../errors/exit-codes.js'
import { runJobCommand } from '../job/run-job-command.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'

/**
 * `syncflow move SRC DST` (rclone's `move`): `copy` with `--remove-source-files`: each file DST
 * holds once the run is through with it is deleted from SRC; nothing in DST is deleted.
 */
export function moveCommand(source: string, target: string, flags: JobFlags, streams: Streams): Promise<ExitCode> {
  return runJobCommand(
    { kind: 'sync', mode: 'copy', source, target, flags: { ...flags, removeSourceFiles: true } },
    streams,
  )
}
