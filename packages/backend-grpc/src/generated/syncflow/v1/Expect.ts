// Original file: proto/syncflow.proto

import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from '../../syncflow/v1/Entry.js';

/**
 * What the destination must still be before it is replaced (syncflow's WriteOptions.expect).
 */
export interface Expect {
  /**
   * must still be this entry (size, mtime, version compared)
   */
  'entry'?: (_syncflow_v1_Entry | null);
  /**
   * must not exist
   */
  'absent'?: (boolean);
  'expect'?: "entry"|"absent";
}

/**
 * What the destination must still be before it is replaced (syncflow's WriteOptions.expect).
 */
export interface Expect__Output {
  /**
   * must still be this entry (size, mtime, version compared)
   */
  'entry'?: (_syncflow_v1_Entry__Output | null);
  /**
   * must not exist
   */
  'absent'?: (boolean);
  'expect'?: "entry"|"absent";
}
