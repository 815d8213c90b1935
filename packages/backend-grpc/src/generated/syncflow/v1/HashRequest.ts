// Original file: proto/syncflow.proto


export interface HashRequest {
  'root'?: (string);
  'path'?: (string);
  /**
   * "md5" | "sha1" | "sha256"
   */
  'algo'?: (string);
}

export interface HashRequest__Output {
  'root': (string);
  'path': (string);
  /**
   * "md5" | "sha1" | "sha256"
   */
  'algo': (string);
}
