// Original file: proto/syncflow.proto

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
  '_length'?: "length";
}
