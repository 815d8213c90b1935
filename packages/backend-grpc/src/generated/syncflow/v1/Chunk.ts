// Original file: proto/syncflow.proto


export interface Chunk {
  'data'?: (Buffer | Uint8Array | string);
  /**
   * `data` is gzip-compressed (at most 256 KiB once inflated).
   */
  'gzip'?: (boolean);
}

export interface Chunk__Output {
  'data': (Buffer);
  /**
   * `data` is gzip-compressed (at most 256 KiB once inflated).
   */
  'gzip': (boolean);
}
