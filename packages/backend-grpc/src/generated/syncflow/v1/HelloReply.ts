// Original file: proto/syncflow.proto

import type { Capabilities as _syncflow_v1_Capabilities, Capabilities__Output as _syncflow_v1_Capabilities__Output } from '../../syncflow/v1/Capabilities.js';
import type { DirectoryChain as _syncflow_v1_DirectoryChain, DirectoryChain__Output as _syncflow_v1_DirectoryChain__Output } from '../../syncflow/v1/DirectoryChain.js';

export interface HelloReply {
  'protocol'?: (number);
  'serverVersion'?: (string);
  'rootExists'?: (boolean);
  'capabilities'?: (_syncflow_v1_Capabilities | null);
  /**
   * Optional RPCs this server implements: "move", "copy", "hash", "setMtime", "mkdir", "symlink",
   * "watch", "delta", "deltaFrom", "findContent", "writeMany", "removeExpect"; "partial" where it keeps
   * what an interrupted Write or Patch of 1 MiB or more wrote, for the next to resume from (SignatureRequest.partial,
   * PatchHeader.from_partial); "watchReady" where its Watch says when its watcher
   * is armed (WatchReply.ready); and "readOnly" from a server started with --read-only (every call
   * that would change its tree is refused).
   */
  'features'?: (string)[];
  /**
   * Largest message the server accepts, in bytes.
   */
  'maxMessageBytes'?: (number);
  /**
   * Where the client's root lies on the server's disk, by identity (machine:device:inode of it, or
   * of its nearest existing ancestor, then of each directory above): a client on the same host
   * refuses to sync it with a local directory that contains it or lies inside it.
   */
  'rootChain'?: (_syncflow_v1_DirectoryChain | null);
  /**
   * The served directory itself (--root), by identity: a keyed hash of the machine id and host name
   * (which outlive a reboot, unlike root_chain's boot id), then its device and inode.
   * A client sends it back on every later call as `syncflow-root-id` metadata; a server that serves
   * another directory (restarted on the same address with another --root) refuses such a call with
   * FAILED_PRECONDITION, `syncflow-code` NOT_FOUND and the trailer `syncflow-root-changed`, so that a
   * run never goes on writing into a directory it did not start with. Empty from a server before it.
   */
  'servedRootId'?: (string);
}

export interface HelloReply__Output {
  'protocol': (number);
  'serverVersion': (string);
  'rootExists': (boolean);
  'capabilities': (_syncflow_v1_Capabilities__Output | null);
  /**
   * Optional RPCs this server implements: "move", "copy", "hash", "setMtime", "mkdir", "symlink",
   * "watch", "delta", "deltaFrom", "findContent", "writeMany", "removeExpect"; "partial" where it keeps
   * what an interrupted Write or Patch of 1 MiB or more wrote, for the next to resume from (SignatureRequest.partial,
   * PatchHeader.from_partial); "watchReady" where its Watch says when its watcher
   * is armed (WatchReply.ready); and "readOnly" from a server started with --read-only (every call
   * that would change its tree is refused).
   */
  'features': (string)[];
  /**
   * Largest message the server accepts, in bytes.
   */
  'maxMessageBytes': (number);
  /**
   * Where the client's root lies on the server's disk, by identity (machine:device:inode of it, or
   * of its nearest existing ancestor, then of each directory above): a client on the same host
   * refuses to sync it with a local directory that contains it or lies inside it.
   */
  'rootChain': (_syncflow_v1_DirectoryChain__Output | null);
  /**
   * The served directory itself (--root), by identity: a keyed hash of the machine id and host name
   * (which outlive a reboot, unlike root_chain's boot id), then its device and inode.
   * A client sends it back on every later call as `syncflow-root-id` metadata; a server that serves
   * another directory (restarted on the same address with another --root) refuses such a call with
   * FAILED_PRECONDITION, `syncflow-code` NOT_FOUND and the trailer `syncflow-root-changed`, so that a
   * run never goes on writing into a directory it did not start with. Empty from a server before it.
   */
  'servedRootId': (string);
}
