// Original file: proto/syncflow.proto

import type { DeltaHeader as _syncflow_v1_DeltaHeader, DeltaHeader__Output as _syncflow_v1_DeltaHeader__Output } from '../../syncflow/v1/DeltaHeader.js';

export interface DeltaRequest {
  /**
   * first message only
   */
  'header'?: (_syncflow_v1_DeltaHeader | null);
  /**
   * block batches, as in SignatureReply
   */
  'weak'?: (Buffer | Uint8Array | string);
  'strong'?: (Buffer | Uint8Array | string);
}

export interface DeltaRequest__Output {
  /**
   * first message only
   */
  'header': (_syncflow_v1_DeltaHeader__Output | null);
  /**
   * block batches, as in SignatureReply
   */
  'weak': (Buffer);
  'strong': (Buffer);
}
