// Original file: proto/syncflow.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Parameters (first message only) and a batch of blocks, in order.
 */
export interface SignatureReply {
  'blockSize'?: (number);
  'size'?: (number | string | Long);
  'strongBytes'?: (number);
  /**
   * rsync weak checksums, 4 bytes little-endian per block.
   */
  'weak'?: (Buffer | Uint8Array | string);
  /**
   * XXH64 per block (little-endian), truncated to strong_bytes each.
   */
  'strong'?: (Buffer | Uint8Array | string);
}

/**
 * Parameters (first message only) and a batch of blocks, in order.
 */
export interface SignatureReply__Output {
  'blockSize': (number);
  'size': (number);
  'strongBytes': (number);
  /**
   * rsync weak checksums, 4 bytes little-endian per block.
   */
  'weak': (Buffer);
  /**
   * XXH64 per block (little-endian), truncated to strong_bytes each.
   */
  'strong': (Buffer);
}
