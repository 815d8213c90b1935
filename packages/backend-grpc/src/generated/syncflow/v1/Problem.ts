// Original file: proto/syncflow.proto


export interface Problem {
  /**
   * syncflow error code, e.g. PERMISSION, INVALID_PATH
   */
  'code'?: (string);
  'message'?: (string);
  'path'?: (string);
  '_path'?: "path";
}

export interface Problem__Output {
  /**
   * syncflow error code, e.g. PERMISSION, INVALID_PATH
   */
  'code': (string);
  'message': (string);
  'path'?: (string);
  '_path'?: "path";
}
