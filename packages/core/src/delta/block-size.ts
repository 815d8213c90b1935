/** Smallest block size picked automatically (rsync's minimum). */
export const MIN_BLOCK_SIZE = 700
/** Largest block size picked automatically (rsync's maximum since protocol 30). */
export const MAX_BLOCK_SIZE = 128 * 1024
/** Largest block size a user may ask for (`--block-size`); a server refuses a signature with more. */
export const MAX_REQUESTED_BLOCK_SIZE = 8 * MAX_BLOCK_SIZE
/**
 * Smallest block size a user may ask for (`--block-size`); a server refuses a signature with less:
 * a signature costs ~12 bytes of memory and a hash per block, so a client asking for 1-byte blocks
 * had the server hold ten times the file in memory.
 */
export const MIN_REQUESTED_BLOCK_SIZE = 64
/** Largest literal op a delta generator emits. */
export const MAX_LITERAL_BYTES = 64 * 1024

/**
 * The block size for a base file of `size` bytes: about √size (so signature and expected literal
 * costs grow alike), a multiple of 8, clamped to 700 B–128 KiB, like rsync.
 */
export function blockSizeFor(size: number): number {
  const root = Math.round(Math.sqrt(Math.max(0, size)) / 8) * 8
  return Math.min(MAX_BLOCK_SIZE, Math.max(MIN_BLOCK_SIZE, root))
}

/** Most strong bytes per block: the strong hash (XXH64) has 8. */
export const MAX_STRONG_BYTES = 8

/**
 * Bytes of the truncated strong hash per block, from the base size and block size (6–8).
 *
 * Why this many: a scan tries about `size` positions against `size / blockSize` blocks, so about
 * size² / blockSize weak-checksum pairs. The weak sum is far from uniform on real data (treat it as
 * ~24 good bits), and each false pair must then also pass the strong check; 40 spare bits keep the
 * expected number of false block matches under 2⁻⁴⁰ per file. rsync uses the same shape with a
 * smaller margin. Beyond ~16 GiB the formula would want more than the 8 bytes there are; a false
 * match is in any case caught by the whole-file XXH3-128 (then a full copy).
 */
export function strongBytesFor(size: number, blockSize: number): number {
  const bits = 2 * Math.log2(Math.max(2, size)) - Math.log2(blockSize) - 24 + 40
  return Math.min(MAX_STRONG_BYTES, Math.max(6, Math.ceil(bits / 8)))
}
