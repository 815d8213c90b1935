// Original file: proto/syncflow.proto

import type { Long } from '@grpc/proto-loader';

export interface CopyOp {
  'index'?: (number | string | Long);
  'count'?: (number | string | Long);
}

export interface CopyOp__Output {
  'index': (number);
  'count': (number);
}
