import { Transform, type TransformCallback } from 'node:stream'

/**
 * A pass-through stream that counts bytes and reports them at most every `intervalMs`
 * (and once at the end), so per-chunk progress does not flood the event stream.
 */
export function meterStream(onBytes: (total: number) => void, intervalMs = 250): Transform {
  let total = 0
  let last = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      total += chunk.length
      const now = performance.now()
      if (now - last >= intervalMs) {
        last = now
        onBytes(total)
      }
      cb(null, chunk)
    },
    flush(cb) {
      onBytes(total)
      cb()
    },
  })
}
