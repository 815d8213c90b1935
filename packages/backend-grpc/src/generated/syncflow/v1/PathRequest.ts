// Original file: proto/syncflow.proto


export interface PathRequest {
  'root'?: (string);
  'path'?: (string);
}

export interface PathRequest__Output {
  'root': (string);
  'path': (string);
}
