import type { ExitCode } from '../errors/exit-codes.js'
import type { Streams } from '../output/streams.js'
import { notAvailable } from './not-available.js'

/** `syncflow ui SRC DST`: the live terminal UI. Not built yet: exits 2 (usage) with a message. */
export function uiCommand(streams: Streams): ExitCode {
  return notAvailable('ui', 'Meanwhile, `syncflow sync SRC DST` shows a progress line on a terminal.', streams)
}
