// Original file: proto/syncflow.proto

import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';
import type { Long } from '@grpc/proto-loader';

export interface DeltaHeader {
  'root'?: (string);
  'path'?: (string);
  'blockSize'?: (number);
  /**
   * length of the client's old copy
   */
  'size'?: (number | string | Long);
  'strongBytes'?: (number);
  /**
   * The client accepts gzip-compressed literals.
   */
  'gzip'?: (boolean);
  /**
   * The source entry listed (DeltaFromOptions.expect): a file that is no longer it fails with
   * CONFLICT, as a Read does.
   */
  'expect'?: (_syncflow_v1_Expect | null);
  /**
   * Read the file as it is (DeltaFromOptions.tolerateChanges), and then only its first `length`
   * bytes when given.
   */
  'tolerateChanges'?: (boolean);
  'length'?: (number | string | Long);
  '_length'?: "length";
}

export interface DeltaHeader__Output {
  'root': (string);
  'path': (string);
  'blockSize': (number);
  /**
   * length of the client's old copy
   */
  'size': (number);
  'strongBytes': (number);
  /**
   * The client accepts gzip-compressed literals.
   */
  'gzip': (boolean);
  /**
   * The source entry listed (DeltaFromOptions.expect): a file that is no longer it fails with
   * CONFLICT, as a Read does.
   */
  'expect': (_syncflow_v1_Expect__Output | null);
  /**
   * Read the file as it is (DeltaFromOptions.tolerateChanges), and then only its first `length`
   * bytes when given.
   */
  'tolerateChanges': (boolean);
  'length'?: (number);
  '_length'?: "length";
}
