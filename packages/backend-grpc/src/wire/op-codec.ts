import type { DeltaOp } from '@syncflow/core'
import { isWholeFileDigest, MAX_LITERAL_BYTES, SyncError } from '@syncflow/core'
import type { DeltaOp as WireOp, DeltaOp__Output as WireOpOut } from '../generated/syncflow/v1/DeltaOp.js'
import { gunzipChunk, gzipChunk } from './gzip-chunk.js'

/** Bytes of literal data per patch/delta message before it is sent (ops are batched below it). */
export const OPS_MESSAGE_BYTES = 256 * 1024
/** Ops per message at most (copy ops are tiny). */
const OPS_PER_MESSAGE = 4096

/** A delta op for the wire. */
export function toWireOp(op: DeltaOp): WireOp {
  if (op.type === 'copy') return { copy: { index: op.index, count: op.count } }
  if (op.type === 'literal') return { literal: op.data }
  return { end: { size: op.size, xxh128: op.xxh128 } }
}

/**
 * A delta op from the wire, validated (the applier re-checks the result's length and XXH3-128); a
 * gzipped literal is inflated (to at most 1 MiB).
 */
export async function fromWireOp(w: WireOpOut, op: string): Promise<DeltaOp> {
  if (w.op === 'literalGzip' && w.literalGzip) {
    return { type: 'literal', data: await gunzipChunk(w.literalGzip, 16 * MAX_LITERAL_BYTES, op) }
  }
  if (w.op === 'copy' && w.copy) {
    const { index, count } = w.copy
    if (Number.isSafeInteger(index) && Number.isSafeInteger(count) && index >= 0 && count >= 1) {
      return { type: 'copy', index, count }
    }
  } else if (w.op === 'literal' && w.literal) {
    return { type: 'literal', data: w.literal }
  } else if (w.op === 'end' && w.end && Number.isSafeInteger(w.end.size) && isWholeFileDigest(w.end.xxh128)) {
    return { type: 'end', size: w.end.size, xxh128: w.end.xxh128 }
  }
  throw new SyncError('UNSUPPORTED', `malformed delta op ${JSON.stringify(w.op)}`, {
    op: `grpc.${op}`,
    hint: 'Check that both sides run the same syncflow version.',
  })
}

/**
 * Groups ops into messages of up to ~256 KiB of literal data (one round of framing per batch, not
 * per op); with `gzip`, literals that shrink are sent gzipped (`literalGzip`).
 */
export async function* batchOps(ops: AsyncIterable<DeltaOp>, opts: { gzip?: boolean } = {}): AsyncGenerator<WireOp[]> {
  let batch: WireOp[] = []
  let bytes = 0
  for await (const op of ops) {
    if (opts.gzip && op.type === 'literal') {
      const packed = await gzipChunk(op.data)
      batch.push(packed.gzip ? { literalGzip: packed.data } : { literal: op.data })
    } else batch.push(toWireOp(op))
    if (op.type === 'literal') bytes += op.data.length
    if (bytes >= OPS_MESSAGE_BYTES || batch.length >= OPS_PER_MESSAGE || op.type === 'end') {
      yield batch
      batch = []
      bytes = 0
    }
  }
  if (batch.length > 0) yield batch
}
