// Original file: proto/syncflow.proto

import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from '../../syncflow/v1/Entry.js';

export interface StatReply {
  'found'?: (boolean);
  'entry'?: (_syncflow_v1_Entry | null);
}

export interface StatReply__Output {
  'found': (boolean);
  'entry': (_syncflow_v1_Entry__Output | null);
}
