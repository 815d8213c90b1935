// Original file: proto/syncflow.proto


export interface SetModeRequest {
  'root'?: (string);
  'path'?: (string);
  'mode'?: (number);
}

export interface SetModeRequest__Output {
  'root': (string);
  'path': (string);
  'mode': (number);
}
