import type { Backend, WriteMeta, WriteOptions } from '../backend/backend.js'
import { supports } from '../backend/backend.js'
import { isSyncError, type SyncError } from '../errors/sync-error.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { applyDelta } from './apply-delta.js'
import { blockSizeFor, strongBytesFor } from './block-size.js'
import { computeSignature } from './compute-signature.js'
import { generateDelta } from './generate-delta.js'

/** Files below this size go whole: a delta would save less than its round trips cost. */
export const MIN_DELTA_SIZE = 64 * 1024

/** Options of `deltaTransfer`: those of `write`, plus the delta's own. */
export interface DeltaTransferOptions extends WriteOptions {
  /** Block size in bytes; 0 or absent = from the target file's size (`blockSizeFor`). */
  readonly blockSize?: number
  /** Smaller files (either side) go whole. [64 KiB] */
  readonly minSize?: number
  /**
   * Called when the patched file failed its whole-file check (`CHECKSUM`) and the file was sent
   * whole instead; the engine reports it as a degraded decision.
   */
  readonly onFallback?: (reason: SyncError) => void
}

/** Which side computes the delta: `push` = the target is remote (DeltaCapable), `pull` = the source is (DeltaSource). */
export type DeltaDirection = 'push' | 'pull'

/** How a delta between these two backends would run, or `undefined` when neither side offers one. */
export function deltaDirection(source: Backend, target: Backend): DeltaDirection | undefined {
  if (supports.delta(target)) return 'push'
  if (supports.deltaFrom(source)) return 'pull'
  return undefined
}

/**
 * Updates `path` on `target` to the content of `path` on `source` by sending only the blocks that
 * changed, rsync-style, when one side is remote and offers delta (see `deltaDirection`). Returns
 * the written entry, or `undefined` when a delta does not apply (no delta on either side, the
 * target file missing or not a file, either side smaller than `minSize`): the caller then writes
 * the file whole. `meta` and `opts` are those of `write` (`opts.expect`, when an Entry, is also the
 * base whose size picks the block size). A patch that fails its whole-file check is redone
 * as a whole-file write (`onFallback` is told). Errors are `SyncError`s as from `write`.
 */
export async function deltaTransfer(
  source: Backend,
  target: Backend,
  path: RelPath,
  meta: WriteMeta,
  opts: DeltaTransferOptions = {},
): Promise<Entry | undefined> {
  const direction = deltaDirection(source, target)
  if (direction === undefined) return undefined
  const minSize = opts.minSize ?? MIN_DELTA_SIZE
  if (meta.size !== undefined && meta.size < minSize) return undefined
  if (opts.expect === null) return undefined // the target must not exist: nothing to patch
  const base = opts.expect ?? (await target.stat(path))
  if (base === undefined || base.kind !== 'file' || base.size < minSize) return undefined
  const blockSize = opts.blockSize || blockSizeFor(base.size)
  const signal = opts.signal
  const writeOpts: WriteOptions = {
    ...(opts.expect !== undefined ? { expect: opts.expect } : {}),
    ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    ...(signal !== undefined ? { signal } : {}),
  }
  try {
    if (direction === 'push' && supports.delta(target)) {
      const signature = await target.signature(path, blockSize, signal ? { signal } : {})
      if (signature === undefined) return undefined
      const body = await source.read(path)
      try {
        const ops = generateDelta(body, signature, {
          ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
          ...(signal !== undefined ? { signal } : {}),
        })
        return await target.patch(path, signature.blockSize, ops, meta, writeOpts)
      } finally {
        body.destroy()
      }
    }
    if (!supports.deltaFrom(source)) return undefined
    const signature = await computeSignature(
      await target.read(path),
      blockSize,
      strongBytesFor(base.size, blockSize),
      signal ? { sizeHint: base.size, signal } : { sizeHint: base.size },
    )
    const ops = source.deltaFrom(path, signature, signal ? { signal } : {})
    const body = applyDelta((range) => target.read(path, range), blockSize, ops, {
      path,
      ...(signal !== undefined ? { signal } : {}),
    })
    return await target.write(path, body, meta, writeOpts)
  } catch (err) {
    if (!isSyncError(err) || err.code !== 'CHECKSUM') throw err
    opts.onFallback?.(err)
    return target.write(path, await source.read(path), meta, writeOpts)
  }
}
