import type { FileSignature } from '../backend/backend.js'

/**
 * A hash table from weak checksum to the full blocks of a signature that have it. A weak sum `w`
 * hashes to `h = keyOf(w)`; bit `h` of `filter` says whether any block may have it, and bucket
 * `h >>> headShift` of `head` holds the first such block, `next` chains the others (-1 ends).
 * Typed arrays only, so a lookup in the generator's per-byte loop allocates nothing. The short
 * last block is left out: it can only match at the end of the new file, where it is tried directly.
 */
export class SignatureIndex {
  /** A bitset of 64 bits per block: most positions of new data miss here, on one well-predicted branch. */
  readonly filter: Int32Array
  /** `32 - log2(filter bits)`: `keyOf` keeps the top bits of a multiplicative hash. */
  readonly keyShift: number
  /** Key → bucket: `key >>> headShift`. */
  readonly headShift: number
  /** Bucket → first block index, or -1. */
  readonly head: Int32Array
  /** Block index → next block index in the same bucket, or -1. */
  readonly next: Int32Array
  /** Number of whole blocks (those in the table). */
  readonly fullBlocks: number

  /** Blocks in the table so far (see `add`). */
  #added = 0

  /**
   * `blocks`: how many of the signature's blocks are known yet (a signature still arriving: the
   * others are added with `add` as they come); all by default.
   */
  constructor(
    readonly signature: FileSignature,
    blocks?: number,
  ) {
    this.fullBlocks = Math.floor(signature.size / signature.blockSize)
    const { keyBits, headBits } = tableBits(this.fullBlocks)
    this.keyShift = 32 - keyBits
    this.headShift = keyBits - headBits
    this.filter = new Int32Array(1 << (keyBits - 5))
    this.head = new Int32Array(1 << headBits).fill(-1)
    this.next = new Int32Array(this.fullBlocks).fill(-1)
    this.add(blocks ?? this.fullBlocks)
  }

  /**
   * Bytes the table of a signature of `size` bytes in blocks of `blockSize` takes (its typed
   * arrays): about 12 to 30 bytes per block, more than the signature's own 4 + strongBytes, to
   * count in a memory budget (the server's SignatureBudget).
   */
  static bytesFor(size: number, blockSize: number): number {
    const fullBlocks = Math.floor(size / blockSize)
    const { keyBits, headBits } = tableBits(fullBlocks)
    return 4 * (2 ** (keyBits - 5) + 2 ** headBits + fullBlocks)
  }

  /** Whole blocks in the table: those before it are found by `first`. */
  get added(): number {
    return this.#added
  }

  /** Adds the whole blocks before `blocks` not in the table yet (their sums must be set by now). */
  add(blocks: number): void {
    // Blocks identical to one already in the table (same weak and strong sums: runs of zeros,
    // repeated records) are left out, so a chain never grows with duplicates and the per-byte
    // lookup stays O(1); a run over duplicates still merges through the generator's next-block hint.
    const { weak, strong, strongBytes } = this.signature
    const to = Math.min(blocks, this.fullBlocks)
    for (let i = this.#added; i < to; i++) {
      const w = weak[i]!
      const key = this.keyOf(w)
      const bucket = key >>> this.headShift
      let j = this.head[bucket]!
      let seen = 0
      while (j !== -1 && seen < 64 && !(weak[j] === w && sameStrong(strong, i, j, strongBytes))) {
        j = this.next[j]!
        seen++
      }
      if (j !== -1 && seen < 64) continue
      this.next[i] = this.head[bucket]!
      this.head[bucket] = i
      this.filter[key >>> 5]! |= 1 << (key & 31)
    }
    this.#added = Math.max(this.#added, to)
  }

  /** The key of a weak checksum (Fibonacci hashing: the raw low bits, `a` alone, cluster). */
  keyOf(weak: number): number {
    return Math.imul(weak, 0x9e3779b1) >>> this.keyShift
  }

  /** The first block whose weak sum may be `weak` (walk on with `next`), or -1. */
  first(weak: number): number {
    const key = this.keyOf(weak)
    return (this.filter[key >>> 5]! & (1 << (key & 31))) === 0 ? -1 : this.head[key >>> this.headShift]!
  }
}

function sameStrong(strong: Uint8Array, i: number, j: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (strong[i * n + k] !== strong[j * n + k]) return false
  return true
}

/** The sizes of the table for `fullBlocks` blocks: 64 filter bits and 2 buckets per block, bounded. */
function tableBits(fullBlocks: number): { keyBits: number; headBits: number } {
  const keyBits = Math.min(26, Math.max(16, Math.ceil(Math.log2(Math.max(1, fullBlocks) * 64))))
  const headBits = Math.min(keyBits, Math.max(4, Math.ceil(Math.log2(Math.max(1, fullBlocks) * 2))))
  return { keyBits, headBits }
}
