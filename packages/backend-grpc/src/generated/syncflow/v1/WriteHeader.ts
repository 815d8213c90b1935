// Original file: proto/syncflow.proto

import type { WriteMeta as _syncflow_v1_WriteMeta, WriteMeta__Output as _syncflow_v1_WriteMeta__Output } from '../../syncflow/v1/WriteMeta.js';
import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';

export interface WriteHeader {
  'root'?: (string);
  'path'?: (string);
  'meta'?: (_syncflow_v1_WriteMeta | null);
  'expect'?: (_syncflow_v1_Expect | null);
}

export interface WriteHeader__Output {
  'root': (string);
  'path': (string);
  'meta': (_syncflow_v1_WriteMeta__Output | null);
  'expect': (_syncflow_v1_Expect__Output | null);
}
