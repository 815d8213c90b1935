import { Transform, type TransformCallback } from 'node:stream'

/**
 * A token bucket shared by all transfers of a run (`--bwlimit`), so the total rate stays under the
 * cap however many files are in flight. Bursts up to one second's worth of bytes.
 */
export class RateLimiter {
  #tokens: number
  #last = performance.now()

  constructor(readonly bytesPerSec: number) {
    this.#tokens = bytesPerSec
  }

  /** ms to wait before `bytes` may pass (0 = now); the bytes are charged either way. */
  reserve(bytes: number): number {
    const now = performance.now()
    this.#tokens = Math.min(this.bytesPerSec, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSec)
    this.#last = now
    this.#tokens -= bytes
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.bytesPerSec) * 1000
  }

  /** A pass-through stream that delays chunks to respect the rate. */
  throttle(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb: TransformCallback) => {
        const wait = this.reserve(chunk.length)
        if (wait <= 0) cb(null, chunk)
        else setTimeout(() => cb(null, chunk), wait)
      },
    })
  }
}
