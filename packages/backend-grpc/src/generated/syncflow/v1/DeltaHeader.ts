// Original file: proto/syncflow.proto

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
}
