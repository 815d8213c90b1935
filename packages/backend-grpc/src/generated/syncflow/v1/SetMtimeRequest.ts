// Original file: proto/syncflow.proto


export interface SetMtimeRequest {
  'root'?: (string);
  'path'?: (string);
  'mtimeMs'?: (number | string);
}

export interface SetMtimeRequest__Output {
  'root': (string);
  'path': (string);
  'mtimeMs': (number);
}
