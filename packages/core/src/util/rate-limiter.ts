import { Transform, type TransformCallback } from 'node:stream'

/** The most a quiet moment saves up for a burst, in seconds of the rate. */
const BURST_SECONDS = 0.25

/**
 * A token bucket shared by all transfers of a run (`--bwlimit`), so the total rate stays under the
 * cap however many files are in flight. It starts empty (a full one let a second's worth through
 * at once: 10 MiB at 2M took 4.1 s, not 5), and a pause between files saves up a quarter of a
 * second's worth at most, so the rate holds over any stretch of time, as with rsync.
 */
export class RateLimiter {
  #tokens = 0
  readonly #now: () => number
  #last: number

  constructor(
    readonly bytesPerSec: number,
    now: () => number = () => performance.now(),
  ) {
    this.#now = now
    this.#last = now()
  }

  /** ms to wait before `bytes` may pass (0 = now); the bytes are charged either way. */
  reserve(bytes: number): number {
    const now = this.#now()
    const burst = this.bytesPerSec * BURST_SECONDS
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#last) / 1000) * this.bytesPerSec)
    this.#last = now
    this.#tokens -= bytes
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.bytesPerSec) * 1000
  }

  /**
   * A pass-through stream that delays chunks to respect the rate. Destroyed (an abort, a failed
   * write), it drops the chunk it holds and its timer: left, the timer kept the process up after a
   * Ctrl-C until it fired (bin.ts's 3 s fallback ended it at low rates).
   */
  throttle(): Transform {
    let timer: NodeJS.Timeout | undefined
    return new Transform({
      transform: (chunk: Buffer, _enc, cb: TransformCallback) => {
        const wait = this.reserve(chunk.length)
        if (wait <= 0) cb(null, chunk)
        else
          timer = setTimeout(() => {
            timer = undefined
            cb(null, chunk)
          }, wait)
      },
      destroy: (err, cb) => {
        clearTimeout(timer)
        cb(err)
      },
    })
  }
}
