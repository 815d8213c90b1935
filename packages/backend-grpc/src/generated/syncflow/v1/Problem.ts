// Original file: proto/syncflow.proto


export interface Problem {
  /**
   * syncflow error code, e.g. PERMISSION, INVALID_PATH
   */
  'code'?: (string);
  'message'?: (string);
  'path'?: (string);
  /**
   * What the user can do about it, as the server's own backend said (e.g. a path too long there).
   */
  'hint'?: (string);
  '_path'?: "path";
  '_hint'?: "hint";
}

export interface Problem__Output {
  /**
   * syncflow error code, e.g. PERMISSION, INVALID_PATH
   */
  'code': (string);
  'message': (string);
  'path'?: (string);
  /**
   * What the user can do about it, as the server's own backend said (e.g. a path too long there).
   */
  'hint'?: (string);
  '_path'?: "path";
  '_hint'?: "hint";
}
