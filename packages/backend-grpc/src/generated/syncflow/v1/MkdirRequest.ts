// Original file: proto/syncflow.proto


export interface MkdirRequest {
  'root'?: (string);
  'path'?: (string);
  'mode'?: (number);
  'mtimeMs'?: (number | string);
  '_mode'?: "mode";
  '_mtimeMs'?: "mtimeMs";
}

export interface MkdirRequest__Output {
  'root': (string);
  'path': (string);
  'mode'?: (number);
  'mtimeMs'?: (number);
  '_mode'?: "mode";
  '_mtimeMs'?: "mtimeMs";
}
