// Original file: proto/syncflow.proto

import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';

/**
 * Remove's request: PathRequest's fields, and what the file must still be.
 */
export interface RemoveRequest {
  'root'?: (string);
  'path'?: (string);
  /**
   * A file's planned entry (`entry` only): checked by the server under the path's lock, just
   * before the delete, instead of by a Stat of the client's a round trip earlier (in which another
   * client's write could land and then be deleted). Ignored by a server before "removeExpect".
   */
  'expect'?: (_syncflow_v1_Expect | null);
}

/**
 * Remove's request: PathRequest's fields, and what the file must still be.
 */
export interface RemoveRequest__Output {
  'root': (string);
  'path': (string);
  /**
   * A file's planned entry (`entry` only): checked by the server under the path's lock, just
   * before the delete, instead of by a Stat of the client's a round trip earlier (in which another
   * client's write could land and then be deleted). Ignored by a server before "removeExpect".
   */
  'expect': (_syncflow_v1_Expect__Output | null);
}
