import type { ExitCode } from '../errors/exit-codes.js'
import type { Streams } from '../output/streams.js'
import { notAvailable } from './not-available.js'

/** `syncflow serve --root DIR --listen HOST:PORT`: the gRPC server. Not built yet: exits 2 with a message. */
export function serveCommand(streams: Streams): ExitCode {
  return notAvailable('serve', 'Meanwhile, sync to a directory mounted from the other machine.', streams)
}
