// Original file: proto/syncflow.proto

import type { CopyOp as _syncflow_v1_CopyOp, CopyOp__Output as _syncflow_v1_CopyOp__Output } from '../../syncflow/v1/CopyOp.js';
import type { EndOp as _syncflow_v1_EndOp, EndOp__Output as _syncflow_v1_EndOp__Output } from '../../syncflow/v1/EndOp.js';

/**
 * One delta op: copy `count` base blocks from block `index`, literal bytes (at most 64 KiB), or
 * the end (always last).
 */
export interface DeltaOp {
  'copy'?: (_syncflow_v1_CopyOp | null);
  'literal'?: (Buffer | Uint8Array | string);
  'end'?: (_syncflow_v1_EndOp | null);
  /**
   * a literal, gzip-compressed (at most 64 KiB once inflated)
   */
  'literalGzip'?: (Buffer | Uint8Array | string);
  'op'?: "copy"|"literal"|"end"|"literalGzip";
}

/**
 * One delta op: copy `count` base blocks from block `index`, literal bytes (at most 64 KiB), or
 * the end (always last).
 */
export interface DeltaOp__Output {
  'copy'?: (_syncflow_v1_CopyOp__Output | null);
  'literal'?: (Buffer);
  'end'?: (_syncflow_v1_EndOp__Output | null);
  /**
   * a literal, gzip-compressed (at most 64 KiB once inflated)
   */
  'literalGzip'?: (Buffer);
  'op'?: "copy"|"literal"|"end"|"literalGzip";
}
