// Original file: proto/syncflow.proto

import type { ChangeType as _syncflow_v1_ChangeType, ChangeType__Output as _syncflow_v1_ChangeType__Output } from '../../syncflow/v1/ChangeType.js';

export interface WatchReply {
  'type'?: (_syncflow_v1_ChangeType);
  'path'?: (string);
  'from'?: (string);
  '_from'?: "from";
}

export interface WatchReply__Output {
  'type': (_syncflow_v1_ChangeType__Output);
  'path': (string);
  'from'?: (string);
  '_from'?: "from";
}
