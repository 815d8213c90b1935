// @ts-check
// A small seeded PRNG, so that every benchmark run (and every machine) generates the same trees.

/**
 * sfc32 seeded through splitmix32: fast, good enough statistically, and the same sequence on every
 * platform for a given seed. `fill` writes whole 32-bit words in little-endian order.
 */
export class Prng {
  /** @param {number} seed any integer; equal seeds give equal sequences */
  constructor(seed) {
    let s = seed >>> 0
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = splitmix()
    this.b = splitmix()
    this.c = splitmix()
    this.d = splitmix()
    // Discard the first outputs, as sfc32's authors recommend.
    for (let i = 0; i < 12; i++) this.next()
  }

  /** The next 32-bit unsigned integer. */
  next() {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /**
   * A uniform integer in [min, max] (inclusive).
   * @param {number} min
   * @param {number} max
   */
  int(min, max) {
    return min + Math.floor((this.next() / 0x1_0000_0000) * (max - min + 1))
  }

  /**
   * Fills `bytes` with pseudo-random bytes.
   * @param {Uint8Array} bytes
   */
  fill(bytes) {
    const words = bytes.length >>> 2
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0; i < words; i++) view.setUint32(i * 4, this.next(), true)
    for (let i = words * 4; i < bytes.length; i++) bytes[i] = this.next() & 0xff
    return bytes
  }

  /**
   * `k` distinct integers from [0, n), in increasing order.
   * @param {number} n
   * @param {number} k
   */
  sample(n, k) {
    /** @type {Set<number>} */
    const picked = new Set()
    const want = Math.min(n, k)
    while (picked.size < want) picked.add(this.int(0, n - 1))
    return [...picked].sort((x, y) => x - y)
  }
}

/**
 * A seed derived from several integers (a seed per file, per repetition, …).
 * @param {...number} parts
 */
export function deriveSeed(...parts) {
  let h = 0x811c9dc5
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0
  }
  return h >>> 0
}
