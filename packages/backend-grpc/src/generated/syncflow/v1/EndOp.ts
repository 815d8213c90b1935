// Original file: proto/syncflow.proto

import type { Long } from '@grpc/proto-loader';

export interface EndOp {
  'size'?: (number | string | Long);
  'sha256'?: (string);
}

export interface EndOp__Output {
  'size': (number);
  'sha256': (string);
}
