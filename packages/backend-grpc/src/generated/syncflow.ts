import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Capabilities as _syncflow_v1_Capabilities, Capabilities__Output as _syncflow_v1_Capabilities__Output } from './syncflow/v1/Capabilities.js';
import type { Chunk as _syncflow_v1_Chunk, Chunk__Output as _syncflow_v1_Chunk__Output } from './syncflow/v1/Chunk.js';
import type { CopyOp as _syncflow_v1_CopyOp, CopyOp__Output as _syncflow_v1_CopyOp__Output } from './syncflow/v1/CopyOp.js';
import type { DeltaHeader as _syncflow_v1_DeltaHeader, DeltaHeader__Output as _syncflow_v1_DeltaHeader__Output } from './syncflow/v1/DeltaHeader.js';
import type { DeltaOp as _syncflow_v1_DeltaOp, DeltaOp__Output as _syncflow_v1_DeltaOp__Output } from './syncflow/v1/DeltaOp.js';
import type { DeltaReply as _syncflow_v1_DeltaReply, DeltaReply__Output as _syncflow_v1_DeltaReply__Output } from './syncflow/v1/DeltaReply.js';
import type { DeltaRequest as _syncflow_v1_DeltaRequest, DeltaRequest__Output as _syncflow_v1_DeltaRequest__Output } from './syncflow/v1/DeltaRequest.js';
import type { DirectoryChain as _syncflow_v1_DirectoryChain, DirectoryChain__Output as _syncflow_v1_DirectoryChain__Output } from './syncflow/v1/DirectoryChain.js';
import type { Empty as _syncflow_v1_Empty, Empty__Output as _syncflow_v1_Empty__Output } from './syncflow/v1/Empty.js';
import type { EndOp as _syncflow_v1_EndOp, EndOp__Output as _syncflow_v1_EndOp__Output } from './syncflow/v1/EndOp.js';
import type { Entry as _syncflow_v1_Entry, Entry__Output as _syncflow_v1_Entry__Output } from './syncflow/v1/Entry.js';
import type { EntryReply as _syncflow_v1_EntryReply, EntryReply__Output as _syncflow_v1_EntryReply__Output } from './syncflow/v1/EntryReply.js';
import type { Expect as _syncflow_v1_Expect, Expect__Output as _syncflow_v1_Expect__Output } from './syncflow/v1/Expect.js';
import type { FindContentReply as _syncflow_v1_FindContentReply, FindContentReply__Output as _syncflow_v1_FindContentReply__Output } from './syncflow/v1/FindContentReply.js';
import type { FindContentRequest as _syncflow_v1_FindContentRequest, FindContentRequest__Output as _syncflow_v1_FindContentRequest__Output } from './syncflow/v1/FindContentRequest.js';
import type { FlushRequest as _syncflow_v1_FlushRequest, FlushRequest__Output as _syncflow_v1_FlushRequest__Output } from './syncflow/v1/FlushRequest.js';
import type { HashReply as _syncflow_v1_HashReply, HashReply__Output as _syncflow_v1_HashReply__Output } from './syncflow/v1/HashReply.js';
import type { HashRequest as _syncflow_v1_HashRequest, HashRequest__Output as _syncflow_v1_HashRequest__Output } from './syncflow/v1/HashRequest.js';
import type { HelloReply as _syncflow_v1_HelloReply, HelloReply__Output as _syncflow_v1_HelloReply__Output } from './syncflow/v1/HelloReply.js';
import type { HelloRequest as _syncflow_v1_HelloRequest, HelloRequest__Output as _syncflow_v1_HelloRequest__Output } from './syncflow/v1/HelloRequest.js';
import type { ListReply as _syncflow_v1_ListReply, ListReply__Output as _syncflow_v1_ListReply__Output } from './syncflow/v1/ListReply.js';
import type { ListRequest as _syncflow_v1_ListRequest, ListRequest__Output as _syncflow_v1_ListRequest__Output } from './syncflow/v1/ListRequest.js';
import type { MkdirRequest as _syncflow_v1_MkdirRequest, MkdirRequest__Output as _syncflow_v1_MkdirRequest__Output } from './syncflow/v1/MkdirRequest.js';
import type { MoveRequest as _syncflow_v1_MoveRequest, MoveRequest__Output as _syncflow_v1_MoveRequest__Output } from './syncflow/v1/MoveRequest.js';
import type { Notice as _syncflow_v1_Notice, Notice__Output as _syncflow_v1_Notice__Output } from './syncflow/v1/Notice.js';
import type { PatchHeader as _syncflow_v1_PatchHeader, PatchHeader__Output as _syncflow_v1_PatchHeader__Output } from './syncflow/v1/PatchHeader.js';
import type { PatchRequest as _syncflow_v1_PatchRequest, PatchRequest__Output as _syncflow_v1_PatchRequest__Output } from './syncflow/v1/PatchRequest.js';
import type { PathRequest as _syncflow_v1_PathRequest, PathRequest__Output as _syncflow_v1_PathRequest__Output } from './syncflow/v1/PathRequest.js';
import type { Problem as _syncflow_v1_Problem, Problem__Output as _syncflow_v1_Problem__Output } from './syncflow/v1/Problem.js';
import type { ReadRequest as _syncflow_v1_ReadRequest, ReadRequest__Output as _syncflow_v1_ReadRequest__Output } from './syncflow/v1/ReadRequest.js';
import type { RemoveRequest as _syncflow_v1_RemoveRequest, RemoveRequest__Output as _syncflow_v1_RemoveRequest__Output } from './syncflow/v1/RemoveRequest.js';
import type { SetModeRequest as _syncflow_v1_SetModeRequest, SetModeRequest__Output as _syncflow_v1_SetModeRequest__Output } from './syncflow/v1/SetModeRequest.js';
import type { SetMtimeRequest as _syncflow_v1_SetMtimeRequest, SetMtimeRequest__Output as _syncflow_v1_SetMtimeRequest__Output } from './syncflow/v1/SetMtimeRequest.js';
import type { SignatureReply as _syncflow_v1_SignatureReply, SignatureReply__Output as _syncflow_v1_SignatureReply__Output } from './syncflow/v1/SignatureReply.js';
import type { SignatureRequest as _syncflow_v1_SignatureRequest, SignatureRequest__Output as _syncflow_v1_SignatureRequest__Output } from './syncflow/v1/SignatureRequest.js';
import type { StatReply as _syncflow_v1_StatReply, StatReply__Output as _syncflow_v1_StatReply__Output } from './syncflow/v1/StatReply.js';
import type { SymlinkRequest as _syncflow_v1_SymlinkRequest, SymlinkRequest__Output as _syncflow_v1_SymlinkRequest__Output } from './syncflow/v1/SymlinkRequest.js';
import type { SyncflowClient as _syncflow_v1_SyncflowClient, SyncflowDefinition as _syncflow_v1_SyncflowDefinition } from './syncflow/v1/Syncflow.js';
import type { WatchReply as _syncflow_v1_WatchReply, WatchReply__Output as _syncflow_v1_WatchReply__Output } from './syncflow/v1/WatchReply.js';
import type { WatchRequest as _syncflow_v1_WatchRequest, WatchRequest__Output as _syncflow_v1_WatchRequest__Output } from './syncflow/v1/WatchRequest.js';
import type { WholeFile as _syncflow_v1_WholeFile, WholeFile__Output as _syncflow_v1_WholeFile__Output } from './syncflow/v1/WholeFile.js';
import type { WriteEnd as _syncflow_v1_WriteEnd, WriteEnd__Output as _syncflow_v1_WriteEnd__Output } from './syncflow/v1/WriteEnd.js';
import type { WriteFailure as _syncflow_v1_WriteFailure, WriteFailure__Output as _syncflow_v1_WriteFailure__Output } from './syncflow/v1/WriteFailure.js';
import type { WriteHeader as _syncflow_v1_WriteHeader, WriteHeader__Output as _syncflow_v1_WriteHeader__Output } from './syncflow/v1/WriteHeader.js';
import type { WriteManyReply as _syncflow_v1_WriteManyReply, WriteManyReply__Output as _syncflow_v1_WriteManyReply__Output } from './syncflow/v1/WriteManyReply.js';
import type { WriteManyRequest as _syncflow_v1_WriteManyRequest, WriteManyRequest__Output as _syncflow_v1_WriteManyRequest__Output } from './syncflow/v1/WriteManyRequest.js';
import type { WriteMeta as _syncflow_v1_WriteMeta, WriteMeta__Output as _syncflow_v1_WriteMeta__Output } from './syncflow/v1/WriteMeta.js';
import type { WriteRequest as _syncflow_v1_WriteRequest, WriteRequest__Output as _syncflow_v1_WriteRequest__Output } from './syncflow/v1/WriteRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  syncflow: {
    v1: {
      Capabilities: MessageTypeDefinition<_syncflow_v1_Capabilities, _syncflow_v1_Capabilities__Output>
      ChangeType: EnumTypeDefinition
      Chunk: MessageTypeDefinition<_syncflow_v1_Chunk, _syncflow_v1_Chunk__Output>
      CopyOp: MessageTypeDefinition<_syncflow_v1_CopyOp, _syncflow_v1_CopyOp__Output>
      DeltaHeader: MessageTypeDefinition<_syncflow_v1_DeltaHeader, _syncflow_v1_DeltaHeader__Output>
      DeltaOp: MessageTypeDefinition<_syncflow_v1_DeltaOp, _syncflow_v1_DeltaOp__Output>
      DeltaReply: MessageTypeDefinition<_syncflow_v1_DeltaReply, _syncflow_v1_DeltaReply__Output>
      DeltaRequest: MessageTypeDefinition<_syncflow_v1_DeltaRequest, _syncflow_v1_DeltaRequest__Output>
      DirectoryChain: MessageTypeDefinition<_syncflow_v1_DirectoryChain, _syncflow_v1_DirectoryChain__Output>
      Empty: MessageTypeDefinition<_syncflow_v1_Empty, _syncflow_v1_Empty__Output>
      EndOp: MessageTypeDefinition<_syncflow_v1_EndOp, _syncflow_v1_EndOp__Output>
      Entry: MessageTypeDefinition<_syncflow_v1_Entry, _syncflow_v1_Entry__Output>
      EntryKind: EnumTypeDefinition
      EntryReply: MessageTypeDefinition<_syncflow_v1_EntryReply, _syncflow_v1_EntryReply__Output>
      Expect: MessageTypeDefinition<_syncflow_v1_Expect, _syncflow_v1_Expect__Output>
      FindContentReply: MessageTypeDefinition<_syncflow_v1_FindContentReply, _syncflow_v1_FindContentReply__Output>
      FindContentRequest: MessageTypeDefinition<_syncflow_v1_FindContentRequest, _syncflow_v1_FindContentRequest__Output>
      FlushRequest: MessageTypeDefinition<_syncflow_v1_FlushRequest, _syncflow_v1_FlushRequest__Output>
      HashReply: MessageTypeDefinition<_syncflow_v1_HashReply, _syncflow_v1_HashReply__Output>
      HashRequest: MessageTypeDefinition<_syncflow_v1_HashRequest, _syncflow_v1_HashRequest__Output>
      HelloReply: MessageTypeDefinition<_syncflow_v1_HelloReply, _syncflow_v1_HelloReply__Output>
      HelloRequest: MessageTypeDefinition<_syncflow_v1_HelloRequest, _syncflow_v1_HelloRequest__Output>
      ListReply: MessageTypeDefinition<_syncflow_v1_ListReply, _syncflow_v1_ListReply__Output>
      ListRequest: MessageTypeDefinition<_syncflow_v1_ListRequest, _syncflow_v1_ListRequest__Output>
      MkdirRequest: MessageTypeDefinition<_syncflow_v1_MkdirRequest, _syncflow_v1_MkdirRequest__Output>
      MoveRequest: MessageTypeDefinition<_syncflow_v1_MoveRequest, _syncflow_v1_MoveRequest__Output>
      Notice: MessageTypeDefinition<_syncflow_v1_Notice, _syncflow_v1_Notice__Output>
      PatchHeader: MessageTypeDefinition<_syncflow_v1_PatchHeader, _syncflow_v1_PatchHeader__Output>
      PatchRequest: MessageTypeDefinition<_syncflow_v1_PatchRequest, _syncflow_v1_PatchRequest__Output>
      PathRequest: MessageTypeDefinition<_syncflow_v1_PathRequest, _syncflow_v1_PathRequest__Output>
      Problem: MessageTypeDefinition<_syncflow_v1_Problem, _syncflow_v1_Problem__Output>
      ReadRequest: MessageTypeDefinition<_syncflow_v1_ReadRequest, _syncflow_v1_ReadRequest__Output>
      RemoveRequest: MessageTypeDefinition<_syncflow_v1_RemoveRequest, _syncflow_v1_RemoveRequest__Output>
      SetModeRequest: MessageTypeDefinition<_syncflow_v1_SetModeRequest, _syncflow_v1_SetModeRequest__Output>
      SetMtimeRequest: MessageTypeDefinition<_syncflow_v1_SetMtimeRequest, _syncflow_v1_SetMtimeRequest__Output>
      SignatureReply: MessageTypeDefinition<_syncflow_v1_SignatureReply, _syncflow_v1_SignatureReply__Output>
      SignatureRequest: MessageTypeDefinition<_syncflow_v1_SignatureRequest, _syncflow_v1_SignatureRequest__Output>
      StatReply: MessageTypeDefinition<_syncflow_v1_StatReply, _syncflow_v1_StatReply__Output>
      SymlinkRequest: MessageTypeDefinition<_syncflow_v1_SymlinkRequest, _syncflow_v1_SymlinkRequest__Output>
      Syncflow: SubtypeConstructor<typeof grpc.Client, _syncflow_v1_SyncflowClient> & { service: _syncflow_v1_SyncflowDefinition }
      WatchReply: MessageTypeDefinition<_syncflow_v1_WatchReply, _syncflow_v1_WatchReply__Output>
      WatchRequest: MessageTypeDefinition<_syncflow_v1_WatchRequest, _syncflow_v1_WatchRequest__Output>
      WholeFile: MessageTypeDefinition<_syncflow_v1_WholeFile, _syncflow_v1_WholeFile__Output>
      WriteEnd: MessageTypeDefinition<_syncflow_v1_WriteEnd, _syncflow_v1_WriteEnd__Output>
      WriteFailure: MessageTypeDefinition<_syncflow_v1_WriteFailure, _syncflow_v1_WriteFailure__Output>
      WriteHeader: MessageTypeDefinition<_syncflow_v1_WriteHeader, _syncflow_v1_WriteHeader__Output>
      WriteManyReply: MessageTypeDefinition<_syncflow_v1_WriteManyReply, _syncflow_v1_WriteManyReply__Output>
      WriteManyRequest: MessageTypeDefinition<_syncflow_v1_WriteManyRequest, _syncflow_v1_WriteManyRequest__Output>
      WriteMeta: MessageTypeDefinition<_syncflow_v1_WriteMeta, _syncflow_v1_WriteMeta__Output>
      WriteRequest: MessageTypeDefinition<_syncflow_v1_WriteRequest, _syncflow_v1_WriteRequest__Output>
    }
  }
}

