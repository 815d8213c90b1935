import type { FileSignature } from '@syncflow/core'
import { MAX_STRONG_BYTES, SyncError } from '@syncflow/core'

/** Blocks per signature message: 8192 × (4 + ≤16) bytes stays well under any message limit. */
export const BLOCKS_PER_MESSAGE = 8192
/** Most blocks a peer may announce (a 1 TiB file at 8 KiB blocks), so a hostile peer cannot exhaust memory. */
const MAX_BLOCKS = 1 << 27

/** One batch of a signature on the wire: weak sums as little-endian uint32, strong hashes concatenated. */
export interface SignatureBatch {
  readonly weak: Buffer
  readonly strong: Buffer
}

/** Splits a signature into wire batches (always at least one, so the parameters travel). */
export function* signatureBatches(sig: FileSignature): Generator<SignatureBatch> {
  const blocks = sig.weak.length
  for (let i = 0; i === 0 || i < blocks; i += BLOCKS_PER_MESSAGE) {
    yield signatureBatch(sig, i, Math.min(blocks, i + BLOCKS_PER_MESSAGE))
  }
}

/** Blocks `from` to `to` (excluded) of a signature as one wire batch. */
export function signatureBatch(sig: FileSignature, from: number, to: number): SignatureBatch {
  const n = to - from
  const weak = Buffer.allocUnsafe(n * 4)
  for (let k = 0; k < n; k++) weak.writeUInt32LE(sig.weak[from + k]!, k * 4)
  const strong = Buffer.from(sig.strong.subarray(from * sig.strongBytes, to * sig.strongBytes))
  return { weak, strong }
}

/**
 * Rebuilds a FileSignature from wire batches, checking everything a hostile peer could get wrong:
 * parameters in range, exactly the number of blocks the size implies, strong bytes per block.
 */
export class SignatureAssembler {
  private readonly weak: Uint32Array
  private readonly strong: Uint8Array
  private blocks = 0
  private readonly expected: number

  constructor(
    private readonly params: { blockSize: number; size: number; strongBytes: number },
    private readonly op: string,
  ) {
    const { blockSize, size, strongBytes } = params
    if (!Number.isSafeInteger(size) || size < 0 || blockSize < 1 || strongBytes < 1 || strongBytes > MAX_STRONG_BYTES) {
      throw this.bad(`bad signature parameters (block size ${blockSize}, size ${size}, strong bytes ${strongBytes})`)
    }
    this.expected = Math.ceil(size / blockSize)
    if (this.expected > MAX_BLOCKS) throw this.bad(`signature of ${this.expected} blocks is too large`)
    this.weak = new Uint32Array(this.expected)
    this.strong = new Uint8Array(this.expected * strongBytes)
  }

  /** Adds the next batch. */
  add(batch: { weak: Uint8Array; strong: Uint8Array }): void {
    const n = batch.weak.length / 4
    const sb = this.params.strongBytes
    if (!Number.isInteger(n) || batch.strong.length !== n * sb || this.blocks + n > this.expected) {
      throw this.bad('malformed signature batch')
    }
    const view = new DataView(batch.weak.buffer, batch.weak.byteOffset, batch.weak.length)
    for (let k = 0; k < n; k++) this.weak[this.blocks + k] = view.getUint32(k * 4, true)
    this.strong.set(batch.strong, this.blocks * sb)
    this.blocks += n
  }

  /** Blocks added so far. */
  get received(): number {
    return this.blocks
  }

  /** Blocks the size announces. */
  get total(): number {
    return this.expected
  }

  /** The signature with the blocks added so far (the arrays have their full length; see `add`). */
  partial(): FileSignature {
    return { ...this.params, weak: this.weak, strong: this.strong }
  }

  /** The signature, once every block arrived. */
  finish(): FileSignature {
    if (this.blocks !== this.expected) throw this.bad(`signature has ${this.blocks} of ${this.expected} blocks`)
    return { ...this.params, weak: this.weak, strong: this.strong }
  }

  private bad(message: string): SyncError {
    return new SyncError('UNSUPPORTED', message, {
      op: `grpc.${this.op}`,
      hint: 'The peer sent a malformed signature: check that both sides run the same syncflow version.',
    })
  }
}
