// Original file: proto/syncflow.proto

import type { Capabilities as _syncflow_v1_Capabilities, Capabilities__Output as _syncflow_v1_Capabilities__Output } from '../../syncflow/v1/Capabilities.js';

export interface HelloReply {
  'protocol'?: (number);
  'serverVersion'?: (string);
  'rootExists'?: (boolean);
  'capabilities'?: (_syncflow_v1_Capabilities | null);
  /**
   * Optional RPCs this server implements: "move", "copy", "hash", "setMtime", "mkdir", "symlink",
   * "watch", "delta", "deltaFrom", "findContent".
   */
  'features'?: (string)[];
  /**
   * Largest message the server accepts, in bytes.
   */
  'maxMessageBytes'?: (number);
}

export interface HelloReply__Output {
  'protocol': (number);
  'serverVersion': (string);
  'rootExists': (boolean);
  'capabilities': (_syncflow_v1_Capabilities__Output | null);
  /**
   * Optional RPCs this server implements: "move", "copy", "hash", "setMtime", "mkdir", "symlink",
   * "watch", "delta", "deltaFrom", "findContent".
   */
  'features': (string)[];
  /**
   * Largest message the server accepts, in bytes.
   */
  'maxMessageBytes': (number);
}
