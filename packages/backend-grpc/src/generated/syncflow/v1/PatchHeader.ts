// Original file: proto/syncflow.proto

import type { WriteMeta as _syncflow_v1_WriteMeta, WriteMeta__Output as _syncflow_v1_WriteMeta__Output } from '../../syncflow/v1/WriteMeta.js';
import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';

export interface PatchHeader {
  'root'?: (string);
  'path'?: (string);
  'blockSize'?: (number);
  'meta'?: (_syncflow_v1_WriteMeta | null);
  'expect'?: (_syncflow_v1_Expect | null);
  /**
   * When set, the result must also have this sha256.
   */
  'sha256'?: (string);
  /**
   * The base is what an interrupted upload of `path` left (see SignatureRequest.partial), not the
   * file: an upload resumed. The file may not exist.
   */
  'fromPartial'?: (boolean);
  '_sha256'?: "sha256";
}

export interface PatchHeader__Output {
  'root': (string);
  'path': (string);
  'blockSize': (number);
  'meta': (_syncflow_v1_WriteMeta__Output | null);
  'expect': (_syncflow_v1_Expect__Output | null);
  /**
   * When set, the result must also have this sha256.
   */
  'sha256'?: (string);
  /**
   * The base is what an interrupted upload of `path` left (see SignatureRequest.partial), not the
   * file: an upload resumed. The file may not exist.
   */
  'fromPartial': (boolean);
  '_sha256'?: "sha256";
}
