// Original file: proto/syncflow.proto


export interface WatchRequest {
  'root'?: (string);
}

export interface WatchRequest__Output {
  'root': (string);
}
