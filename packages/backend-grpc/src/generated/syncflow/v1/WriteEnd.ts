// Original file: proto/syncflow.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteEnd {
  /**
   * Bytes sent in `data` chunks: the server commits only when it received exactly this many.
   */
  'size'?: (number | string | Long);
}

export interface WriteEnd__Output {
  /**
   * Bytes sent in `data` chunks: the server commits only when it received exactly this many.
   */
  'size': (number);
}
