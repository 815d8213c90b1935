// Original file: proto/syncflow.proto

import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from '../../syncflow/v1/Entry.js';

export interface FindContentReply {
  /**
   * Some file under the served root has this size (only asked without sha256).
   */
  'maybe'?: (boolean);
  /**
   * Set when the server found the bytes and copied them to `path`.
   */
  'entry'?: (_syncflow_v1_Entry | null);
}

export interface FindContentReply__Output {
  /**
   * Some file under the served root has this size (only asked without sha256).
   */
  'maybe': (boolean);
  /**
   * Set when the server found the bytes and copied them to `path`.
   */
  'entry': (_syncflow_v1_Entry__Output | null);
}
