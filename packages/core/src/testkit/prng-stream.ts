import { Readable } from 'node:stream'

const DEFAULT_CHUNK = 64 * 1024

/**
 * A deterministic pseudo-random byte source (xorshift32 seeded through splitmix32): the same seed
 * always gives the same bytes, whatever the chunk size, so a test can regenerate content to verify
 * it instead of keeping it in memory.
 */
export class Prng {
  #state: number

  constructor(seed: number) {
    // splitmix32 spreads small seeds (0, 1, 2…) over the state space; xorshift32 must not start at 0.
    let z = (seed + 0x9e3779b9) | 0
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    z ^= z >>> 16
    this.#state = z === 0 ? 0x6d2b79f5 : z
  }

  /** The next 32 random bits as an unsigned integer. */
  next(): number {
    let x = this.#state
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#state = x
    return x >>> 0
  }

  /** Fills `buf` with the next bytes (little-endian words; a partial last word is cut). */
  fill(buf: Uint8Array): Uint8Array {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
    const whole = buf.byteLength & ~3
    for (let i = 0; i < whole; i += 4) view.setUint32(i, this.next(), true)
    if (whole < buf.byteLength) {
      let word = this.next()
      for (let i = whole; i < buf.byteLength; i++) {
        buf[i] = word & 0xff
        word >>>= 8
      }
    }
    return buf
  }
}

/** `size` deterministic bytes for `seed`, in memory (for small contents). */
export function prngBytes(seed: number, size: number): Buffer {
  return new Prng(seed).fill(Buffer.allocUnsafe(size)) as Buffer
}

/**
 * A stream of `size` deterministic bytes for `seed`, generated on demand with backpressure: a
 * 64 MiB test file never exists as one buffer. `chunkSize` must be a multiple of 4 so the bytes do
 * not depend on it. [64 KiB]
 */
export function prngStream(seed: number, size: number, chunkSize = DEFAULT_CHUNK): Readable {
  if (chunkSize <= 0 || chunkSize % 4 !== 0) throw new RangeError('chunkSize must be a positive multiple of 4')
  const prng = new Prng(seed)
  let left = size
  return new Readable({
    highWaterMark: chunkSize,
    read() {
      if (left <= 0) {
        this.push(null)
        return
      }
      const n = Math.min(chunkSize, left)
      left -= n
      this.push(prng.fill(Buffer.allocUnsafe(n)))
    },
  })
}
