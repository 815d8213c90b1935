/**
 * rsync's rolling weak checksum of `data[start, end)`: `a` is the sum of the bytes and `b` the sum
 * of the running sums (byte `i` weighted by `len - i`), both mod 2¹⁶, packed as `a | b << 16`.
 * `RollingChecksum` slides the same sum by one byte in O(1); the delta generator inlines that step.
 */
export function weakChecksum(data: Uint8Array, start = 0, end = data.length): number {
  let a = 0
  let b = 0
  for (let i = start; i < end; i++) {
    a = (a + data[i]!) | 0
    b = (b + a) | 0
  }
  return packWeak(a, b)
}

/** Packs the two running sums (kept as wrapping int32, only their low 16 bits count). */
export function packWeak(a: number, b: number): number {
  return ((a & 0xffff) | (b << 16)) >>> 0
}

/** A window of `length` bytes whose weak checksum moves by one byte in O(1). */
export class RollingChecksum {
  private a = 0
  private b = 0

  constructor(
    readonly length: number,
    data?: Uint8Array,
    start = 0,
  ) {
    if (data !== undefined) this.reset(data, start)
  }

  /** Starts over on `data[start, start + length)`. */
  reset(data: Uint8Array, start = 0): void {
    let a = 0
    let b = 0
    for (let i = start; i < start + this.length; i++) {
      a = (a + data[i]!) | 0
      b = (b + a) | 0
    }
    this.a = a
    this.b = b
  }

  /** Slides the window by one byte: `out` leaves at the front, `inn` enters at the back. */
  roll(out: number, inn: number): void {
    this.a = (this.a - out + inn) | 0
    this.b = (this.b - this.length * out + this.a) | 0
  }

  /** The packed checksum of the current window. */
  get value(): number {
    return packWeak(this.a, this.b)
  }
}
