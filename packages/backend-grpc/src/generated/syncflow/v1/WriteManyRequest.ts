// Original file: proto/syncflow.proto

import type { WriteHeader as _syncflow_v1_WriteHeader, WriteHeader__Output as _syncflow_v1_WriteHeader__Output } from '../../syncflow/v1/WriteHeader.js';
import type { WriteEnd as _syncflow_v1_WriteEnd, WriteEnd__Output as _syncflow_v1_WriteEnd__Output } from '../../syncflow/v1/WriteEnd.js';

export interface WriteManyRequest {
  /**
   * Names the file this message belongs to; a file's messages come together, header first.
   */
  'id'?: (number);
  'header'?: (_syncflow_v1_WriteHeader | null);
  'data'?: (Buffer | Uint8Array | string);
  'end'?: (_syncflow_v1_WriteEnd | null);
  /**
   * The client gave up on file `id` (its write was cancelled): the server does not commit it.
   */
  'cancel'?: (boolean);
  'msg'?: "header"|"data"|"end"|"cancel";
}

export interface WriteManyRequest__Output {
  /**
   * Names the file this message belongs to; a file's messages come together, header first.
   */
  'id': (number);
  'header'?: (_syncflow_v1_WriteHeader__Output | null);
  'data'?: (Buffer);
  'end'?: (_syncflow_v1_WriteEnd__Output | null);
  /**
   * The client gave up on file `id` (its write was cancelled): the server does not commit it.
   */
  'cancel'?: (boolean);
  'msg'?: "header"|"data"|"end"|"cancel";
}
