// Original file: proto/syncflow.proto

import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';

export interface MoveRequest {
  'root'?: (string);
  'from'?: (string);
  'to'?: (string);
  'expect'?: (_syncflow_v1_Expect | null);
}

export interface MoveRequest__Output {
  'root': (string);
  'from': (string);
  'to': (string);
  'expect': (_syncflow_v1_Expect__Output | null);
}
