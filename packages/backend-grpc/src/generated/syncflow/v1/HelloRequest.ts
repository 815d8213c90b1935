// Original file: proto/syncflow.proto


export interface HelloRequest {
  'root'?: (string);
  /**
   * The client's protocol version (this file: 2; 1 ended deltas with a sha256).
   */
  'protocol'?: (number);
}

export interface HelloRequest__Output {
  'root': (string);
  /**
   * The client's protocol version (this file: 2; 1 ended deltas with a sha256).
   */
  'protocol': (number);
}
