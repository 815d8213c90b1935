import type { DeltaOp } from '../backend/backend.js'

/** A delta that says "the new file is the base, byte for byte": one run of every base block, then `end`. */
export type WholeBaseCopy = readonly [
  { readonly type: 'copy'; readonly index: 0; readonly count: number },
  { readonly type: 'end'; readonly size: number; readonly xxh128: string },
]

/**
 * True when `ops` (the first ops of a delta) copy every block of a base of `baseSize` bytes, in
 * order, as one run, and end with that length: the new file then equals the base if the base has
 * the `end` op's digest. The side applying it can check that by reading the base instead of
 * rewriting it, and only set the mtime (a `touch` found by the delta). An empty base never is.
 */
export function isWholeBaseCopy(ops: readonly DeltaOp[], baseSize: number, blockSize: number): ops is WholeBaseCopy {
  if (ops.length !== 2 || baseSize <= 0 || blockSize < 1) return false
  const [copy, end] = ops
  return (
    copy?.type === 'copy' &&
    copy.index === 0 &&
    copy.count === Math.ceil(baseSize / blockSize) &&
    end?.type === 'end' &&
    end.size === baseSize
  )
}
