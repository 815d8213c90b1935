// Original file: proto/syncflow.proto


/**
 * How one file of a WriteMany failed: what a Write of it alone would have ended with (its gRPC
 * status code, message and trailers: `syncflow-code`, `syncflow-path`, `syncflow-hint`, ...).
 */
export interface WriteFailure {
  'status'?: (number);
  'message'?: (string);
  'trailers'?: ({[key: string]: string});
  /**
   * The `syncflow-hint-bin` trailer (a hint that is not ASCII, in UTF-8), when there is one.
   */
  'hintBin'?: (Buffer | Uint8Array | string);
}

/**
 * How one file of a WriteMany failed: what a Write of it alone would have ended with (its gRPC
 * status code, message and trailers: `syncflow-code`, `syncflow-path`, `syncflow-hint`, ...).
 */
export interface WriteFailure__Output {
  'status': (number);
  'message': (string);
  'trailers': ({[key: string]: string});
  /**
   * The `syncflow-hint-bin` trailer (a hint that is not ASCII, in UTF-8), when there is one.
   */
  'hintBin': (Buffer);
}
