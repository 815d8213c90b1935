// Original file: proto/syncflow.proto

import type { ChangeType as _syncflow_v1_ChangeType, ChangeType__Output as _syncflow_v1_ChangeType__Output } from '../../syncflow/v1/ChangeType.js';

export interface WatchReply {
  'type'?: (_syncflow_v1_ChangeType);
  'path'?: (string);
  'from'?: (string);
  /**
   * Sent once, alone (no path), when the server's watcher reports every later change (its walk of
   * the tree is done), by a server whose Hello offers the feature "watchReady": a client starts its
   * initial snapshot then, so that nothing changed meanwhile is in neither. A client before it drops
   * the message (an empty path is no change).
   */
  'ready'?: (boolean);
  '_from'?: "from";
}

export interface WatchReply__Output {
  'type': (_syncflow_v1_ChangeType__Output);
  'path': (string);
  'from'?: (string);
  /**
   * Sent once, alone (no path), when the server's watcher reports every later change (its walk of
   * the tree is done), by a server whose Hello offers the feature "watchReady": a client starts its
   * initial snapshot then, so that nothing changed meanwhile is in neither. A client before it drops
   * the message (an empty path is no change).
   */
  'ready': (boolean);
  '_from'?: "from";
}
