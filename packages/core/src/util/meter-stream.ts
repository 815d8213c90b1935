import { Transform, type TransformCallback } from 'node:stream'

/** Options of `meterStream`. */
export interface MeterOptions {
  /** Least time between two reports. [250 ms] */
  readonly intervalMs?: number
  /**
   * The bytes the stream must carry: one more, or an end short of it, fails the stream with
   * `onSizeMismatch(total)` (never a short or long file published as the source's).
   */
  readonly expectBytes?: number
  readonly onSizeMismatch?: (total: number, ended: boolean) => Error
}

/**
 * A pass-through stream that counts bytes and reports them at most every `intervalMs`
 * (and once at the end), so per-chunk progress does not flood the event stream.
 */
export function meterStream(onBytes: (total: number) => void, opts: MeterOptions = {}): Transform {
  const intervalMs = opts.intervalMs ?? 250
  const expect = opts.expectBytes
  const mismatch = (total: number, ended: boolean): Error =>
    opts.onSizeMismatch?.(total, ended) ?? new Error(`${total} bytes where ${expect} were expected`)
  let total = 0
  let last = 0
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      total += chunk.length
      if (expect !== undefined && total > expect) return cb(mismatch(total, false))
      const now = performance.now()
      if (now - last >= intervalMs) {
        last = now
        onBytes(total)
      }
      cb(null, chunk)
    },
    flush(cb) {
      if (expect !== undefined && total !== expect) return cb(mismatch(total, true))
      onBytes(total)
      cb()
    },
  })
}
