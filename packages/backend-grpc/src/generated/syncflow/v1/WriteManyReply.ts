// Original file: proto/syncflow.proto

import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from '../../syncflow/v1/Entry.js';
import type { WriteFailure as _syncflow_v1_WriteFailure, WriteFailure__Output as _syncflow_v1_WriteFailure__Output } from '../../syncflow/v1/WriteFailure.js';

export interface WriteManyReply {
  'id'?: (number);
  /**
   * Set when the file was written.
   */
  'entry'?: (_syncflow_v1_Entry | null);
  /**
   * Set when it was not.
   */
  'failure'?: (_syncflow_v1_WriteFailure | null);
}

export interface WriteManyReply__Output {
  'id': (number);
  /**
   * Set when the file was written.
   */
  'entry': (_syncflow_v1_Entry__Output | null);
  /**
   * Set when it was not.
   */
  'failure': (_syncflow_v1_WriteFailure__Output | null);
}
