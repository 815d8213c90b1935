import { printable } from '../output/printable.js'
import { columns } from './columns.js'

/** How a row of the transfers list spends the screen's width, after the action's kind. */
export interface TransferColumns {
  /** Columns of the path (cut at its start when longer, padded when shorter). */
  readonly path: number
  /** Columns of the per-file bar; 0: no bar, the screen is too narrow for one. */
  readonly bar: number
  /** What stands for the bytes moved: done/total, or only the percentage on the narrowest screens. */
  readonly size: 'bytes' | 'percent'
  /** Columns the size is right-aligned in, after a space. */
  readonly sizeWidth: number
}

/** Columns of the kind (`copy`, `update`, …), its padding included. */
export const KIND_WIDTH = 7
/** A path cut shorter tells little: the bar goes first, then the byte counts. */
const MIN_PATH = 12
/**
 * Paths up to this long get this much room whatever the transfers shown, so the bars stay put as
 * transfers come and go; it is what an 80-column screen has room for.
 */
const STEADY_PATH = 37
/** Longer paths are cut (at their start) even on a wide screen: past this the bar ends up too far from the name. */
const MAX_PATH = 60
/** `1023 KiB/1023 KiB`, the longest done/total. */
const BYTES_WIDTH = 17

/**
 * The columns of the rows for `paths` on a screen `width` wide. On a wide screen the path column
 * is sized to the longest path, between `STEADY_PATH` and `MAX_PATH`, so a name and its bar read as
 * one row; on a narrow one the bar goes, then done/total gives way to the percentage.
 */
export function transferColumns(width: number, paths: readonly string[]): TransferColumns {
  const bar = width >= 100 ? 20 : 10
  // The bar, a space either side, the sizes right-aligned in 21 columns, and a few columns free.
  const withBar = width - KIND_WIDTH - bar - 26
  if (withBar >= MIN_PATH) {
    const longest = Math.max(0, ...paths.map((p) => columns(printable(p))))
    return { path: Math.min(withBar, MAX_PATH, Math.max(STEADY_PATH, longest)), bar, size: 'bytes', sizeWidth: 21 }
  }
  // A space before the sizes and the last column free.
  const withBytes = width - KIND_WIDTH - BYTES_WIDTH - 2
  if (withBytes >= MIN_PATH) return { path: withBytes, bar: 0, size: 'bytes', sizeWidth: BYTES_WIDTH }
  return { path: Math.max(1, width - KIND_WIDTH - 6), bar: 0, size: 'percent', sizeWidth: 4 }
}
