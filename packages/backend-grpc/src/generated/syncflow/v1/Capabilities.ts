// Original file: proto/syncflow.proto


export interface Capabilities {
  'hashes'?: (string)[];
  'mtimePrecisionMs'?: (number | string);
  'listMtime'?: (boolean);
  'emptyDirs'?: (boolean);
  'symlinks'?: (boolean);
  'permissions'?: (boolean);
  'caseSensitive'?: (boolean);
  'maxPathBytes'?: (number);
  /**
   * "native" | "poll" | "none"
   */
  'watch'?: (string);
  /**
   * The server runs as root: a file written from a client's bytes loses its setuid and setgid bits
   * (Capabilities.clearsSetId).
   */
  'clearsSetId'?: (boolean);
  '_maxPathBytes'?: "maxPathBytes";
}

export interface Capabilities__Output {
  'hashes': (string)[];
  'mtimePrecisionMs': (number);
  'listMtime': (boolean);
  'emptyDirs': (boolean);
  'symlinks': (boolean);
  'permissions': (boolean);
  'caseSensitive': (boolean);
  'maxPathBytes'?: (number);
  /**
   * "native" | "poll" | "none"
   */
  'watch': (string);
  /**
   * The server runs as root: a file written from a client's bytes loses its setuid and setgid bits
   * (Capabilities.clearsSetId).
   */
  'clearsSetId': (boolean);
  '_maxPathBytes'?: "maxPathBytes";
}
