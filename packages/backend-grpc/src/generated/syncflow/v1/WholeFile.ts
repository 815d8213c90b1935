// Original file: proto/syncflow.proto

import type { WriteHeader as _syncflow_v1_WriteHeader, WriteHeader__Output as _syncflow_v1_WriteHeader__Output } from '../../syncflow/v1/WriteHeader.js';

export interface WholeFile {
  'header'?: (_syncflow_v1_WriteHeader | null);
  'data'?: (Buffer | Uint8Array | string);
}

export interface WholeFile__Output {
  'header': (_syncflow_v1_WriteHeader__Output | null);
  'data': (Buffer);
}
