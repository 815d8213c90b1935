// Original file: proto/syncflow.proto


export interface FlushRequest {
  'root'?: (string);
  'paths'?: (string)[];
  /**
   * The files' own data too, not only their names (files the client did not write in this run).
   */
  'contents'?: (boolean);
}

export interface FlushRequest__Output {
  'root': (string);
  'paths': (string)[];
  /**
   * The files' own data too, not only their names (files the client did not write in this run).
   */
  'contents': (boolean);
}
