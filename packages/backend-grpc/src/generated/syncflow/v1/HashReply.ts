// Original file: proto/syncflow.proto


export interface HashReply {
  'hex'?: (string);
}

export interface HashReply__Output {
  'hex': (string);
}
