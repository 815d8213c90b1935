import { promisify } from 'node:util'
import { gunzip, gzip } from 'node:zlib'
import { SyncError } from '@syncflow/core'

const gzipAsync = promisify(gzip)
const gunzipAsync = promisify(gunzip)

/**
 * Gzips one chunk (fast level, in the thread pool) for a server-to-client stream, where grpc-js
 * has no message compression of its own. Returns the chunk as it is when it does not shrink.
 */
export async function gzipChunk(data: Uint8Array): Promise<{ data: Uint8Array; gzip: boolean }> {
  const packed = await gzipAsync(data, { level: 1 })
  return packed.length < data.length ? { data: packed, gzip: true } : { data, gzip: false }
}

/** Inflates a chunk, refusing more than `max` bytes (a peer cannot send a zip bomb). */
export async function gunzipChunk(data: Uint8Array, max: number, op: string): Promise<Buffer> {
  try {
    return await gunzipAsync(data, { maxOutputLength: max })
  } catch (err) {
    throw new SyncError('UNSUPPORTED', `bad compressed chunk: ${(err as Error).message}`, {
      op: `grpc.${op}`,
      hint: 'Check that both sides run the same syncflow version.',
      cause: err,
    })
  }
}
