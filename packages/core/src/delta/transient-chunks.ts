import { FILL, fillableOf } from './fillable.js'

/** Bytes per read of a `Fillable` source. */
const CHUNK = 1024 * 1024

/**
 * The bytes of `source` as chunks that are valid only until the next one is asked for: for a
 * `Fillable` source, two buffers filled in turn for the whole stream (the next read runs while the
 * caller digests this chunk), no garbage per chunk; any other source as it is. For consumers that
 * are done with a chunk (hashed it, copied it) before they ask for the next. Like a `for await`
 * over a stream, it destroys a Fillable stream once done with it (at its end or on an early stop).
 */
export function transientChunks(
  source: AsyncIterable<Uint8Array>,
  chunkSize: number = CHUNK,
): AsyncIterable<Uint8Array> {
  const fillable = fillableOf(source)
  if (fillable === undefined) return source
  return (async function* () {
    const bufs = [Buffer.allocUnsafe(chunkSize), Buffer.allocUnsafe(chunkSize)] as const
    let i = 0
    // Each fill is awaited later, after the caller is done with the chunk before: handled at once,
    // so a failure meanwhile is not reported as an unhandled rejection (which ends the process).
    const next = (buf: Buffer): Promise<number> => {
      const p = fillable[FILL](buf, 0, chunkSize)
      p.catch(() => {})
      return p
    }
    let pending: Promise<number> | undefined = next(bufs[0])
    try {
      while (pending !== undefined) {
        const n = await pending
        pending = undefined
        if (n === 0) return
        const chunk = (bufs[i] as Buffer).subarray(0, n)
        i ^= 1
        pending = next(bufs[i] as Buffer)
        yield chunk
      }
    } finally {
      // A read still in flight (the caller stopped early) must land before its buffer is dropped
      // and before the stream is destroyed; its error, if any, no longer matters.
      await pending?.catch(() => {})
      // Done with, as a `for await` over the stream would leave it: its file handle closed.
      ;(source as { destroy?: () => void }).destroy?.()
    }
  })()
}
