// Original file: proto/syncflow.proto

import type { WriteMeta as _syncflow_v1_WriteMeta, WriteMeta__Output as _syncflow_v1_WriteMeta__Output } from '../../syncflow/v1/WriteMeta.js';
import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from '../../syncflow/v1/Expect.js';
import type { Long } from '@grpc/proto-loader';

export interface FindContentRequest {
  'root'?: (string);
  'size'?: (number | string | Long);
  /**
   * When set (with `path`): copy a file with these bytes to `path` if the server has one.
   */
  'sha256'?: (string);
  'path'?: (string);
  'meta'?: (_syncflow_v1_WriteMeta | null);
  'expect'?: (_syncflow_v1_Expect | null);
  '_sha256'?: "sha256";
}

export interface FindContentRequest__Output {
  'root': (string);
  'size': (number);
  /**
   * When set (with `path`): copy a file with these bytes to `path` if the server has one.
   */
  'sha256'?: (string);
  'path': (string);
  'meta': (_syncflow_v1_WriteMeta__Output | null);
  'expect': (_syncflow_v1_Expect__Output | null);
  '_sha256'?: "sha256";
}
