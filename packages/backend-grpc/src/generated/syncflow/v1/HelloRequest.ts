// Original file: proto/syncflow.proto


export interface HelloRequest {
  'root'?: (string);
  /**
   * The client's protocol version (this file: 1).
   */
  'protocol'?: (number);
}

export interface HelloRequest__Output {
  'root': (string);
  /**
   * The client's protocol version (this file: 1).
   */
  'protocol': (number);
}
