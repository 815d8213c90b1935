// Original file: proto/syncflow.proto


export interface SignatureRequest {
  'root'?: (string);
  'path'?: (string);
  /**
   * 0 = chosen by the server from the file's size (about sqrt(size), 700 B to 128 KiB).
   */
  'blockSize'?: (number);
  /**
   * The signature of what an interrupted upload of `path` left (a server with the "partial"
   * feature keeps it), not of the file: NOT_FOUND when there is none.
   */
  'partial'?: (boolean);
}

export interface SignatureRequest__Output {
  'root': (string);
  'path': (string);
  /**
   * 0 = chosen by the server from the file's size (about sqrt(size), 700 B to 128 KiB).
   */
  'blockSize': (number);
  /**
   * The signature of what an interrupted upload of `path` left (a server with the "partial"
   * feature keeps it), not of the file: NOT_FOUND when there is none.
   */
  'partial': (boolean);
}
