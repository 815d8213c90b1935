import { Readable } from 'node:stream'

/** Chunks of an upload read ahead of the disk at most: 16 × 256 KiB messages = 4 MiB. */
export const UPLOAD_READ_AHEAD_CHUNKS = 16

/**
 * An upload's data as a stream of its messages' chunks, read ahead of the writer by at most
 * `UPLOAD_READ_AHEAD_CHUNKS`. Object mode: each message's buffer is handed on as it is (byte mode
 * would concatenate what is buffered into new buffers), and the bound counts messages. Beyond
 * it the call's own buffer fills and HTTP/2 flow control stops the client.
 */
export function uploadBody(chunks: AsyncIterable<Buffer>): Readable {
  return Readable.from(chunks, { objectMode: true, highWaterMark: UPLOAD_READ_AHEAD_CHUNKS })
}
