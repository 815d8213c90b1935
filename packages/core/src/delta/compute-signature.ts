import type { FileSignature } from '../backend/backend.js'
import { SyncError } from '../errors/sync-error.js'
import { MAX_STRONG_BYTES } from './block-size.js'
import { loadStrongHash } from './strong-hash.js'
import { transientChunks } from './transient-chunks.js'
import { loadBlockSums, loadBlockWeakChecksum } from './weak-checksum-simd.js'

/** Options of `computeSignature`. */
export interface ComputeSignatureOptions {
  /** Expected length, to size the arrays once (they grow when it is wrong). */
  readonly sizeHint?: number
  readonly signal?: AbortSignal
  /**
   * Called after each chunk read with the signature so far (`blocks` whole blocks; the arrays are
   * only valid until the next call) and awaited: a server sends them on while it reads the rest.
   */
  readonly onBlocks?: (partial: FileSignature, blocks: number) => Promise<void> | void
}

/**
 * The signature (weak + truncated strong hash per block) of the bytes of `source`, read once in
 * order; memory is O(blocks), never the file.
 */
export async function computeSignature(
  source: AsyncIterable<Uint8Array>,
  blockSize: number,
  strongBytes: number,
  opts: ComputeSignatureOptions = {},
): Promise<FileSignature> {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new SyncError('USAGE', `block size ${blockSize} is not a positive integer`, { hint: 'Pass --block-size N.' })
  }
  if (!Number.isSafeInteger(strongBytes) || strongBytes < 1 || strongBytes > MAX_STRONG_BYTES) {
    throw new SyncError('USAGE', `strong hash bytes ${strongBytes} not within 1–${MAX_STRONG_BYTES}`)
  }
  const [strongHash, weakChecksum, blockSums] = await Promise.all([
    loadStrongHash(),
    loadBlockWeakChecksum(),
    loadBlockSums(),
  ])
  let capacity = Math.max(16, Math.ceil((opts.sizeHint ?? 0) / blockSize) + 1)
  let weak = new Uint32Array(capacity)
  let strong = new Uint8Array(capacity * strongBytes)
  let blocks = 0
  let size = 0

  const addBlock = (data: Uint8Array, start: number, end: number): void => {
    if (blocks === capacity) {
      capacity *= 2
      const w = new Uint32Array(capacity)
      w.set(weak)
      weak = w
      const s = new Uint8Array(capacity * strongBytes)
      s.set(strong)
      strong = s
    }
    if (blockSums !== undefined) {
      // Both sums on one copy of the block (WebAssembly): ~15% less than the two apart.
      weak[blocks] = blockSums(data, start, end, strong, blocks * strongBytes, strongBytes)
    } else {
      weak[blocks] = weakChecksum(data, start, end)
      strong.set(strongHash(data.subarray(start, end)).subarray(0, strongBytes), blocks * strongBytes)
    }
    blocks++
  }

  // Blocks that straddle two chunks are assembled in `carry`; whole blocks inside a chunk are
  // hashed in place, so a file is copied at most once per block boundary.
  const carry = new Uint8Array(blockSize)
  let carried = 0
  // Each chunk is digested at once (a straddling block copied), so reused buffers are safe.
  for await (const chunk of transientChunks(source)) {
    opts.signal?.throwIfAborted()
    size += chunk.length
    let off = 0
    if (carried > 0) {
      const n = Math.min(blockSize - carried, chunk.length)
      carry.set(chunk.subarray(0, n), carried)
      carried += n
      off = n
      if (carried === blockSize) {
        addBlock(carry, 0, blockSize)
        carried = 0
      }
    }
    while (chunk.length - off >= blockSize) {
      addBlock(chunk, off, off + blockSize)
      off += blockSize
    }
    if (off < chunk.length) {
      carry.set(chunk.subarray(off), carried)
      carried += chunk.length - off
    }
    if (opts.onBlocks) await opts.onBlocks({ blockSize, size, weak, strong, strongBytes }, blocks)
  }
  if (carried > 0) addBlock(carry, 0, carried)
  return { blockSize, size, weak: weak.slice(0, blocks), strong: strong.slice(0, blocks * strongBytes), strongBytes }
}
