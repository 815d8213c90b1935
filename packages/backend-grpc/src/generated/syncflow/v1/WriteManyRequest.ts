// Original file: proto/syncflow.proto

import type { WholeFile as _syncflow_v1_WholeFile, WholeFile__Output as _syncflow_v1_WholeFile__Output } from '../../syncflow/v1/WholeFile.js';

export interface WriteManyRequest {
  /**
   * Names the file this message is about.
   */
  'id'?: (number);
  /**
   * A whole file: its header and all its bytes (at most 64 KiB).
   */
  'file'?: (_syncflow_v1_WholeFile | null);
  /**
   * The client gave up on file `id` (its write was cancelled): the server does not commit it.
   */
  'cancel'?: (boolean);
  'msg'?: "file"|"cancel";
}

export interface WriteManyRequest__Output {
  /**
   * Names the file this message is about.
   */
  'id': (number);
  /**
   * A whole file: its header and all its bytes (at most 64 KiB).
   */
  'file'?: (_syncflow_v1_WholeFile__Output | null);
  /**
   * The client gave up on file `id` (its write was cancelled): the server does not commit it.
   */
  'cancel'?: (boolean);
  'msg'?: "file"|"cancel";
}
