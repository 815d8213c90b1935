import type { DeltaOp } from '../backend/backend.js'

/** Bytes of `n` as a protobuf varint. */
function varintBytes(n: number): number {
  let bytes = 1
  for (let rest = n; rest >= 128; rest = Math.floor(rest / 128)) bytes++
  return bytes
}

/** A length-delimited protobuf field: tag, length, body. */
const field = (bodyBytes: number): number => 1 + varintBytes(bodyBytes) + bodyBytes

/** A varint protobuf field (written even when 0, as the gRPC side's protobufjs does). */
const number = (n: number): number => 1 + varintBytes(n)

/**
 * What one delta op costs on the wire: its literal data plus the instruction around it, counted as
 * the gRPC protocol encodes it (a `DeltaOp` in a repeated field, before any gzip). The sum over a
 * delta is what `deltaTransfer` reports as moved instead of the file's size, like rsync's "sent bytes"
 * (a copy op of any length costs a few bytes; a literal its length plus 4 to 8).
 */
export function deltaOpBytes(op: DeltaOp): number {
  switch (op.type) {
    case 'literal':
      return field(field(op.data.length))
    case 'copy':
      return field(field(number(op.index) + number(op.count)))
    case 'end':
      return field(field(number(op.size) + field(op.xxh128.length)))
  }
}
