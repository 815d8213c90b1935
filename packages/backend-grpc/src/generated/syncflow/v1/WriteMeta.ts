// Original file: proto/syncflow.proto

import type { Long } from '@grpc/proto-loader';

export interface WriteMeta {
  'size'?: (number | string | Long);
  'mtimeMs'?: (number | string);
  'mode'?: (number);
  'hashes'?: ({[key: string]: string});
  '_size'?: "size";
  '_mode'?: "mode";
}

export interface WriteMeta__Output {
  'size'?: (number);
  'mtimeMs': (number);
  'mode'?: (number);
  'hashes': ({[key: string]: string});
  '_size'?: "size";
  '_mode'?: "mode";
}
