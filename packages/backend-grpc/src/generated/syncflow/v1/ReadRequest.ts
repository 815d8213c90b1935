// Original file: proto/syncflow.proto

import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';
import type { Long } from '@grpc/proto-loader';

export interface ReadRequest {
  'root'?: (string);
  'path'?: (string);
  'offset'?: (number | string | Long);
  'length'?: (number | string | Long);
  /**
   * The client accepts gzip-compressed chunks.
   */
  'gzip'?: (boolean);
  /**
   * The entry the read is for (ReadOptions.expect): a file that is no longer it (size, mtime,
   * version) fails with CONFLICT. `absent` is not meaningful here.
   */
  'expect'?: (_syncflow_v1_Expect | null);
  /**
   * Read the bytes as they are even when the file changes meanwhile (ReadOptions.tolerateChanges).
   */
  'tolerateChanges'?: (boolean);
  '_length'?: "length";
}

export interface ReadRequest__Output {
  'root': (string);
  'path': (string);
  'offset': (number);
  'length'?: (number);
  /**
   * The client accepts gzip-compressed chunks.
   */
  'gzip': (boolean);
  /**
   * The entry the read is for (ReadOptions.expect): a file that is no longer it (size, mtime,
   * version) fails with CONFLICT. `absent` is not meaningful here.
   */
  'expect': (_syncflow_v1_Expect__Output | null);
  /**
   * Read the bytes as they are even when the file changes meanwhile (ReadOptions.tolerateChanges).
   */
  'tolerateChanges': (boolean);
  '_length'?: "length";
}
