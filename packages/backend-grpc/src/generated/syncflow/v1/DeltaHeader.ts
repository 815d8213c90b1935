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
}
