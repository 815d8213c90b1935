// Original file: proto/syncflow.proto

import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from '../../syncflow/v1/Entry.js';
import type { Notice as _syncflow_v1_Notice, Notice__Output as _syncflow_v1_Notice__Output } from '../../syncflow/v1/Notice.js';

export interface StatReply {
  'found'?: (boolean);
  'entry'?: (_syncflow_v1_Entry | null);
  /**
   * Why a path that is there is not found (a FIFO, socket or device: SPECIAL_FILE_SKIPPED), as
   * ListReply says it: a watch cycle then keeps the target's copy there (QA 29a).
   */
  'notices'?: (_syncflow_v1_Notice)[];
}

export interface StatReply__Output {
  'found': (boolean);
  'entry': (_syncflow_v1_Entry__Output | null);
  /**
   * Why a path that is there is not found (a FIFO, socket or device: SPECIAL_FILE_SKIPPED), as
   * ListReply says it: a watch cycle then keeps the target's copy there (QA 29a).
   */
  'notices': (_syncflow_v1_Notice__Output)[];
}
