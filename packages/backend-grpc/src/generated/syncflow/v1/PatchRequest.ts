// Original file: proto/syncflow.proto

import type { PatchHeader as _syncflow_v1_PatchHeader, PatchHeader__Output as _syncflow_v1_PatchHeader__Output } from '../../syncflow/v1/PatchHeader.js';
import type { DeltaOp as _syncflow_v1_DeltaOp, DeltaOp__Output as _syncflow_v1_DeltaOp__Output } from '../../syncflow/v1/DeltaOp.js';

export interface PatchRequest {
  /**
   * first message only
   */
  'header'?: (_syncflow_v1_PatchHeader | null);
  'ops'?: (_syncflow_v1_DeltaOp)[];
}

export interface PatchRequest__Output {
  /**
   * first message only
   */
  'header': (_syncflow_v1_PatchHeader__Output | null);
  'ops': (_syncflow_v1_DeltaOp__Output)[];
}
