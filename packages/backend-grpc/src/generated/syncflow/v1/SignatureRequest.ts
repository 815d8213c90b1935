// Original file: proto/syncflow.proto


export interface SignatureRequest {
  'root'?: (string);
  'path'?: (string);
  /**
   * 0 = chosen by the server from the file's size (about sqrt(size), 700 B to 128 KiB).
   */
  'blockSize'?: (number);
}

export interface SignatureRequest__Output {
  'root': (string);
  'path': (string);
  /**
   * 0 = chosen by the server from the file's size (about sqrt(size), 700 B to 128 KiB).
   */
  'blockSize': (number);
}
