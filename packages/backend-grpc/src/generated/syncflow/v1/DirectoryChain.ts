// Original file: proto/syncflow.proto


export interface DirectoryChain {
  /**
   * ids[0] is the root itself, not an ancestor
   */
  'exists'?: (boolean);
  'ids'?: (string)[];
}

export interface DirectoryChain__Output {
  /**
   * ids[0] is the root itself, not an ancestor
   */
  'exists': (boolean);
  'ids': (string)[];
}
