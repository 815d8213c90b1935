// Original file: proto/syncflow.proto

import type { WriteHeader as _syncflow_v1_WriteHeader, WriteHeader__Output as _syncflow_v1_WriteHeader__Output } from '../../syncflow/v1/WriteHeader.js';
import type { WriteEnd as _syncflow_v1_WriteEnd, WriteEnd__Output as _syncflow_v1_WriteEnd__Output } from '../../syncflow/v1/WriteEnd.js';

export interface WriteRequest {
  'header'?: (_syncflow_v1_WriteHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'end'?: (_syncflow_v1_WriteEnd | null);
  'msg'?: "header"|"data"|"end";
}

export interface WriteRequest__Output {
  'header'?: (_syncflow_v1_WriteHeader__Output | null);
  'data'?: (Buffer);
  'end'?: (_syncflow_v1_WriteEnd__Output | null);
  'msg'?: "header"|"data"|"end";
}
