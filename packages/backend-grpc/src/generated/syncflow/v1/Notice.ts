// Original file: proto/syncflow.proto


export interface Notice {
  'code'?: (string);
  'message'?: (string);
  'path'?: (string);
  '_path'?: "path";
}

export interface Notice__Output {
  'code': (string);
  'message': (string);
  'path'?: (string);
  '_path'?: "path";
}
