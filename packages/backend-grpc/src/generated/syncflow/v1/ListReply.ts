// Original file: proto/syncflow.proto

import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from '../../syncflow/v1/Entry.js';
import type { Problem as _syncflow_v1_Problem, Problem__Output as _syncflow_v1_Problem__Output } from '../../syncflow/v1/Problem.js';
import type { Notice as _syncflow_v1_Notice, Notice__Output as _syncflow_v1_Notice__Output } from '../../syncflow/v1/Notice.js';

export interface ListReply {
  'entries'?: (_syncflow_v1_Entry)[];
  'problems'?: (_syncflow_v1_Problem)[];
  'notices'?: (_syncflow_v1_Notice)[];
}

export interface ListReply__Output {
  'entries': (_syncflow_v1_Entry__Output)[];
  'problems': (_syncflow_v1_Problem__Output)[];
  'notices': (_syncflow_v1_Notice__Output)[];
}
