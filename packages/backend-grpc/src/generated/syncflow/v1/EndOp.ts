// Original file: proto/syncflow.proto

import type { Long } from '@grpc/proto-loader';

export interface EndOp {
  'size'?: (number | string | Long);
  /**
   * Protocol 1 only (the whole-file sha256); unused since protocol 2, never reused.
   */
  'sha256'?: (string);
  /**
   * XXH3-128 of the whole result, 32 lowercase hex digits (canonical big-endian form).
   */
  'xxh128'?: (string);
}

export interface EndOp__Output {
  'size': (number);
  /**
   * Protocol 1 only (the whole-file sha256); unused since protocol 2, never reused.
   */
  'sha256': (string);
  /**
   * XXH3-128 of the whole result, 32 lowercase hex digits (canonical big-endian form).
   */
  'xxh128': (string);
}
