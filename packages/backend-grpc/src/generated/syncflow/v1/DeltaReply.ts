// Original file: proto/syncflow.proto

import type { DeltaOp as _syncflow_v1_DeltaOp, DeltaOp__Output as _syncflow_v1_DeltaOp__Output } from '../../syncflow/v1/DeltaOp.js';

export interface DeltaReply {
  'ops'?: (_syncflow_v1_DeltaOp)[];
}

export interface DeltaReply__Output {
  'ops': (_syncflow_v1_DeltaOp__Output)[];
}
