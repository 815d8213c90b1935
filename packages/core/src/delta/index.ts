// The rsync-style delta codec: rolling weak checksum, block signatures, delta ops, patching, and
// the engine-facing `deltaTransfer`.
export type { DeltaSource } from '../backend/backend.js'
export type { ApplyDeltaOptions, BaseFile, BaseReader } from './apply-delta.js'
export { applyDelta } from './apply-delta.js'
export {
  blockSizeFor,
  MAX_BLOCK_SIZE,
  MAX_LITERAL_BYTES,
  MAX_REQUESTED_BLOCK_SIZE,
  MAX_STRONG_BYTES,
  MIN_BLOCK_SIZE,
  MIN_REQUESTED_BLOCK_SIZE,
  strongBytesFor,
} from './block-size.js'
export type { ComputeSignatureOptions } from './compute-signature.js'
export { computeSignature } from './compute-signature.js'
export { deltaComparesContent } from './delta-compares-content.js'
export { deltaOpBytes } from './delta-op-bytes.js'
export type { DeltaDirection, DeltaTransferOptions } from './delta-transfer.js'
export { deltaDirection, deltaTransfer, MIN_DELTA_SIZE } from './delta-transfer.js'
export type { Fillable, PositionalReader } from './fillable.js'
export { FILL, fillableOf, withFill, withRangeFill } from './fillable.js'
export type { GenerateDeltaOptions } from './generate-delta.js'
export { generateDelta, progressLead, unsureBudget } from './generate-delta.js'
export type { HashedPrefix } from './hash-ahead.js'
export { hashAhead } from './hash-ahead.js'
export type { HeldBytes } from './held-bytes.js'
export { HELD, heldBytesOf, withHeldBytes } from './held-bytes.js'
export { setMtimeInPlace } from './set-mtime-in-place.js'
export { SignatureIndex } from './signature-index.js'
export {
  type ProgressiveSignatures,
  progressiveSignatures,
  SIGNATURE_IN_PROGRESS,
  type SignatureInProgress,
  type SignatureProgress,
} from './signature-progress.js'
export type { StrongHash } from './strong-hash.js'
export { loadStrongHash, strongEquals } from './strong-hash.js'
export { transientChunks } from './transient-chunks.js'
export { packWeak, RollingChecksum, weakChecksum } from './weak-checksum.js'
export type { BlockWeakChecksum } from './weak-checksum-simd.js'
export { type BlockSums, loadBlockSums, loadBlockWeakChecksum } from './weak-checksum-simd.js'
export type { WholeBaseCopy } from './whole-base-copy.js'
export { isWholeBaseCopy } from './whole-base-copy.js'
export type { WholeFileHasher } from './whole-file-hash.js'
export {
  createWholeFileHasher,
  isWholeFileDigest,
  WHOLE_FILE_HASH_HEX_LENGTH,
  wholeFileDigest,
} from './whole-file-hash.js'
