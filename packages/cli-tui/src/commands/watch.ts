import type { ExitCode } from '../errors/exit-codes.js'
import type { Streams } from '../output/streams.js'
import { notAvailable } from './not-available.js'

/** `syncflow watch SRC DST`: continuous one-way sync. Not built yet: exits 2 (usage) with a message. */
export function watchCommand(streams: Streams): ExitCode {
  return notAvailable(
    'watch',
    'Meanwhile, run `syncflow sync SRC DST` when needed (it only copies what changed).',
    streams,
  )
}
