// Original file: proto/syncflow.proto


export interface ListRequest {
  'root'?: (string);
  /**
   * The client's run writes to this tree: the server may remove its own leftovers it meets (temp
   * files of a killed run). False for a source, a dry run, ls and check: a listing changes nothing.
   */
  'cleanUp'?: (boolean);
}

export interface ListRequest__Output {
  'root': (string);
  /**
   * The client's run writes to this tree: the server may remove its own leftovers it meets (temp
   * files of a killed run). False for a source, a dry run, ls and check: a listing changes nothing.
   */
  'cleanUp': (boolean);
}
