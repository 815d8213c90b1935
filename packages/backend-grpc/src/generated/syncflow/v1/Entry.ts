// Original file: proto/syncflow.proto

import type { EntryKind as _syncflow_v1_EntryKind, EntryKind__Output as _syncflow_v1_EntryKind__Output } from '../../syncflow/v1/EntryKind.js';
import type { Long } from '@grpc/proto-loader';

export interface Entry {
  'path'?: (string);
  'kind'?: (_syncflow_v1_EntryKind);
  'size'?: (number | string | Long);
  /**
   * ms since the epoch, may carry a sub-ms fraction.
   */
  'mtimeMs'?: (number | string);
  'mode'?: (number);
  /**
   * algo ("md5", "sha1", "sha256") -> lowercase hex digest.
   */
  'hashes'?: ({[key: string]: string});
  'version'?: (string);
  'linkTarget'?: (string);
  '_mode'?: "mode";
  '_version'?: "version";
  '_linkTarget'?: "linkTarget";
}

export interface Entry__Output {
  'path': (string);
  'kind': (_syncflow_v1_EntryKind__Output);
  'size': (number);
  /**
   * ms since the epoch, may carry a sub-ms fraction.
   */
  'mtimeMs': (number);
  'mode'?: (number);
  /**
   * algo ("md5", "sha1", "sha256") -> lowercase hex digest.
   */
  'hashes': ({[key: string]: string});
  'version'?: (string);
  'linkTarget'?: (string);
  '_mode'?: "mode";
  '_version'?: "version";
  '_linkTarget'?: "linkTarget";
}
