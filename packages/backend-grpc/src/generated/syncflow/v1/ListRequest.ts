// Original file: proto/syncflow.proto


export interface ListRequest {
  'root'?: (string);
}

export interface ListRequest__Output {
  'root': (string);
}
