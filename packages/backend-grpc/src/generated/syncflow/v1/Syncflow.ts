// Original file: proto/syncflow.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Chunk as _syncflow_v1_Chunk, Chunk__Output as _syncflow_v1_Chunk__Output } from '../../syncflow/v1/Chunk.js';
import type { DeltaReply as _syncflow_v1_DeltaReply, DeltaReply__Output as _syncflow_v1_DeltaReply__Output } from '../../syncflow/v1/DeltaReply.js';
import type { DeltaRequest as _syncflow_v1_DeltaRequest, DeltaRequest__Output as _syncflow_v1_DeltaRequest__Output } from '../../syncflow/v1/DeltaRequest.js';
import type { Empty as _syncflow_v1_Empty, Empty__Output as _syncflow_v1_Empty__Output } from '../../syncflow/v1/Empty.js';
import type { EntryReply as _syncflow_v1_EntryReply, EntryReply__Output as _syncflow_v1_EntryReply__Output } from '../../syncflow/v1/EntryReply.js';
import type { FindContentReply as _syncflow_v1_FindContentReply, FindContentReply__Output as _syncflow_v1_FindContentReply__Output } from '../../syncflow/v1/FindContentReply.js';
import type { FindContentRequest as _syncflow_v1_FindContentRequest, FindContentRequest__Output as _syncflow_v1_FindContentRequest__Output } from '../../syncflow/v1/FindContentRequest.js';
import type { FlushRequest as _syncflow_v1_FlushRequest, FlushRequest__Output as _syncflow_v1_FlushRequest__Output } from '../../syncflow/v1/FlushRequest.js';
import type { HashReply as _syncflow_v1_HashReply, HashReply__Output as _syncflow_v1_HashReply__Output } from '../../syncflow/v1/HashReply.js';
import type { HashRequest as _syncflow_v1_HashRequest, HashRequest__Output as _syncflow_v1_HashRequest__Output } from '../../syncflow/v1/HashRequest.js';
import type { HelloReply as _syncflow_v1_HelloReply, HelloReply__Output as _syncflow_v1_HelloReply__Output } from '../../syncflow/v1/HelloReply.js';
import type { HelloRequest as _syncflow_v1_HelloRequest, HelloRequest__Output as _syncflow_v1_HelloRequest__Output } from '../../syncflow/v1/HelloRequest.js';
import type { ListReply as _syncflow_v1_ListReply, ListReply__Output as _syncflow_v1_ListReply__Output } from '../../syncflow/v1/ListReply.js';
import type { ListRequest as _syncflow_v1_ListRequest, ListRequest__Output as _syncflow_v1_ListRequest__Output } from '../../syncflow/v1/ListRequest.js';
import type { MkdirRequest as _syncflow_v1_MkdirRequest, MkdirRequest__Output as _syncflow_v1_MkdirRequest__Output } from '../../syncflow/v1/MkdirRequest.js';
import type { MoveRequest as _syncflow_v1_MoveRequest, MoveRequest__Output as _syncflow_v1_MoveRequest__Output } from '../../syncflow/v1/MoveRequest.js';
import type { PatchRequest as _syncflow_v1_PatchRequest, PatchRequest__Output as _syncflow_v1_PatchRequest__Output } from '../../syncflow/v1/PatchRequest.js';
import type { PathRequest as _syncflow_v1_PathRequest, PathRequest__Output as _syncflow_v1_PathRequest__Output } from '../../syncflow/v1/PathRequest.js';
import type { ReadRequest as _syncflow_v1_ReadRequest, ReadRequest__Output as _syncflow_v1_ReadRequest__Output } from '../../syncflow/v1/ReadRequest.js';
import type { RemoveRequest as _syncflow_v1_RemoveRequest, RemoveRequest__Output as _syncflow_v1_RemoveRequest__Output } from '../../syncflow/v1/RemoveRequest.js';
import type { SetModeRequest as _syncflow_v1_SetModeRequest, SetModeRequest__Output as _syncflow_v1_SetModeRequest__Output } from '../../syncflow/v1/SetModeRequest.js';
import type { SetMtimeRequest as _syncflow_v1_SetMtimeRequest, SetMtimeRequest__Output as _syncflow_v1_SetMtimeRequest__Output } from '../../syncflow/v1/SetMtimeRequest.js';
import type { SignatureReply as _syncflow_v1_SignatureReply, SignatureReply__Output as _syncflow_v1_SignatureReply__Output } from '../../syncflow/v1/SignatureReply.js';
import type { SignatureRequest as _syncflow_v1_SignatureRequest, SignatureRequest__Output as _syncflow_v1_SignatureRequest__Output } from '../../syncflow/v1/SignatureRequest.js';
import type { StatReply as _syncflow_v1_StatReply, StatReply__Output as _syncflow_v1_StatReply__Output } from '../../syncflow/v1/StatReply.js';
import type { SymlinkRequest as _syncflow_v1_SymlinkRequest, SymlinkRequest__Output as _syncflow_v1_SymlinkRequest__Output } from '../../syncflow/v1/SymlinkRequest.js';
import type { WatchReply as _syncflow_v1_WatchReply, WatchReply__Output as _syncflow_v1_WatchReply__Output } from '../../syncflow/v1/WatchReply.js';
import type { WatchRequest as _syncflow_v1_WatchRequest, WatchRequest__Output as _syncflow_v1_WatchRequest__Output } from '../../syncflow/v1/WatchRequest.js';
import type { WriteManyReply as _syncflow_v1_WriteManyReply, WriteManyReply__Output as _syncflow_v1_WriteManyReply__Output } from '../../syncflow/v1/WriteManyReply.js';
import type { WriteManyRequest as _syncflow_v1_WriteManyRequest, WriteManyRequest__Output as _syncflow_v1_WriteManyRequest__Output } from '../../syncflow/v1/WriteManyRequest.js';
import type { WriteRequest as _syncflow_v1_WriteRequest, WriteRequest__Output as _syncflow_v1_WriteRequest__Output } from '../../syncflow/v1/WriteRequest.js';

export interface SyncflowClient extends grpc.Client {
  /**
   * Copies a file within the served tree (no bytes over the wire).
   */
  Copy(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  Copy(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  Copy(argument: _syncflow_v1_MoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  Copy(argument: _syncflow_v1_MoveRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  /**
   * Copies a file within the served tree (no bytes over the wire).
   */
  copy(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  copy(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  copy(argument: _syncflow_v1_MoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  copy(argument: _syncflow_v1_MoveRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * The reverse of Patch: the client sends the signature of its old copy (header, then block
   * batches, then half-closes), the server streams the delta of its file against it.
   */
  Delta(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_DeltaRequest, _syncflow_v1_DeltaReply__Output>;
  Delta(options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_DeltaRequest, _syncflow_v1_DeltaReply__Output>;
  /**
   * The reverse of Patch: the client sends the signature of its old copy (header, then block
   * batches, then half-closes), the server streams the delta of its file against it.
   */
  delta(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_DeltaRequest, _syncflow_v1_DeltaReply__Output>;
  delta(options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_DeltaRequest, _syncflow_v1_DeltaReply__Output>;
  
  /**
   * The content index: does the server already hold a file with these bytes anywhere under the
   * served root? Asked first with `size` alone (cheap: `maybe` says whether any file has that
   * size), then with `sha256` and a destination, in which case the server copies the file there
   * locally and returns its entry instead of the client uploading it.
   */
  FindContent(argument: _syncflow_v1_FindContentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  FindContent(argument: _syncflow_v1_FindContentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  FindContent(argument: _syncflow_v1_FindContentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  FindContent(argument: _syncflow_v1_FindContentRequest, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  /**
   * The content index: does the server already hold a file with these bytes anywhere under the
   * served root? Asked first with `size` alone (cheap: `maybe` says whether any file has that
   * size), then with `sha256` and a destination, in which case the server copies the file there
   * locally and returns its entry instead of the client uploading it.
   */
  findContent(argument: _syncflow_v1_FindContentRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  findContent(argument: _syncflow_v1_FindContentRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  findContent(argument: _syncflow_v1_FindContentRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  findContent(argument: _syncflow_v1_FindContentRequest, callback: grpc.requestCallback<_syncflow_v1_FindContentReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Makes the named entries durable with their names (a server offering "flush"): the directories
   * holding them fsynced, with `contents` the files themselves too. Asked before a client removes
   * the originals of what it copied here (syncflow move).
   */
  Flush(argument: _syncflow_v1_FlushRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Flush(argument: _syncflow_v1_FlushRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Flush(argument: _syncflow_v1_FlushRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Flush(argument: _syncflow_v1_FlushRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  /**
   * Makes the named entries durable with their names (a server offering "flush"): the directories
   * holding them fsynced, with `contents` the files themselves too. Asked before a client removes
   * the originals of what it copied here (syncflow move).
   */
  flush(argument: _syncflow_v1_FlushRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  flush(argument: _syncflow_v1_FlushRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  flush(argument: _syncflow_v1_FlushRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  flush(argument: _syncflow_v1_FlushRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  /**
   * A digest (lowercase hex) of a file's content.
   */
  Hash(argument: _syncflow_v1_HashRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  Hash(argument: _syncflow_v1_HashRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  Hash(argument: _syncflow_v1_HashRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  Hash(argument: _syncflow_v1_HashRequest, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  /**
   * A digest (lowercase hex) of a file's content.
   */
  hash(argument: _syncflow_v1_HashRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  hash(argument: _syncflow_v1_HashRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  hash(argument: _syncflow_v1_HashRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  hash(argument: _syncflow_v1_HashRequest, callback: grpc.requestCallback<_syncflow_v1_HashReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Server facts (protocol version, capabilities, optional features) and whether `root` exists.
   * Clients call it first: it also checks the token.
   */
  Hello(argument: _syncflow_v1_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  Hello(argument: _syncflow_v1_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  Hello(argument: _syncflow_v1_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  Hello(argument: _syncflow_v1_HelloRequest, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  /**
   * Server facts (protocol version, capabilities, optional features) and whether `root` exists.
   * Clients call it first: it also checks the token.
   */
  hello(argument: _syncflow_v1_HelloRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  hello(argument: _syncflow_v1_HelloRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  hello(argument: _syncflow_v1_HelloRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  hello(argument: _syncflow_v1_HelloRequest, callback: grpc.requestCallback<_syncflow_v1_HelloReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every entry below `root`, recursively, in ascending UTF-8 byte order of the path (plus "/" for
   * directories), in batches. Parts that could not be listed come as `problems` in the stream.
   */
  List(argument: _syncflow_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_ListReply__Output>;
  List(argument: _syncflow_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_ListReply__Output>;
  /**
   * Every entry below `root`, recursively, in ascending UTF-8 byte order of the path (plus "/" for
   * directories), in batches. Parts that could not be listed come as `problems` in the stream.
   */
  list(argument: _syncflow_v1_ListRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_ListReply__Output>;
  list(argument: _syncflow_v1_ListRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_ListReply__Output>;
  
  /**
   * Creates a directory and its parents (idempotent).
   */
  Mkdir(argument: _syncflow_v1_MkdirRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Mkdir(argument: _syncflow_v1_MkdirRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Mkdir(argument: _syncflow_v1_MkdirRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Mkdir(argument: _syncflow_v1_MkdirRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  /**
   * Creates a directory and its parents (idempotent).
   */
  mkdir(argument: _syncflow_v1_MkdirRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _syncflow_v1_MkdirRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _syncflow_v1_MkdirRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  mkdir(argument: _syncflow_v1_MkdirRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  /**
   * Renames a path within the served tree.
   */
  Move(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  Move(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  Move(argument: _syncflow_v1_MoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  Move(argument: _syncflow_v1_MoveRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  /**
   * Renames a path within the served tree.
   */
  move(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  move(argument: _syncflow_v1_MoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  move(argument: _syncflow_v1_MoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  move(argument: _syncflow_v1_MoveRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Rebuilds a file from its current content plus delta ops, atomically; the ops end with `end`
   * (length and XXH3-128 of the result, checked before the rename: DATA_LOSS on mismatch).
   */
  Patch(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  Patch(metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  Patch(options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  Patch(callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  /**
   * Rebuilds a file from its current content plus delta ops, atomically; the ops end with `end`
   * (length and XXH3-128 of the result, checked before the rename: DATA_LOSS on mismatch).
   */
  patch(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  patch(metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  patch(options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  patch(callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_PatchRequest>;
  
  /**
   * The bytes of a file (or of a range of it).
   */
  Read(argument: _syncflow_v1_ReadRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_Chunk__Output>;
  Read(argument: _syncflow_v1_ReadRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_Chunk__Output>;
  /**
   * The bytes of a file (or of a range of it).
   */
  read(argument: _syncflow_v1_ReadRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_Chunk__Output>;
  read(argument: _syncflow_v1_ReadRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_Chunk__Output>;
  
  /**
   * Removes a file, symlink or empty directory; a missing path is not an error. With `expect` (a
   * server offering "removeExpect"), a file that is no longer that entry is left as it is
   * (FAILED_PRECONDITION, syncflow-code CONFLICT).
   */
  Remove(argument: _syncflow_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Remove(argument: _syncflow_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Remove(argument: _syncflow_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Remove(argument: _syncflow_v1_RemoveRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  /**
   * Removes a file, symlink or empty directory; a missing path is not an error. With `expect` (a
   * server offering "removeExpect"), a file that is no longer that entry is left as it is
   * (FAILED_PRECONDITION, syncflow-code CONFLICT).
   */
  remove(argument: _syncflow_v1_RemoveRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  remove(argument: _syncflow_v1_RemoveRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  remove(argument: _syncflow_v1_RemoveRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  remove(argument: _syncflow_v1_RemoveRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sets the permission bits of an existing file in place (a chmod; feature "setMode").
   */
  SetMode(argument: _syncflow_v1_SetModeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  SetMode(argument: _syncflow_v1_SetModeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  SetMode(argument: _syncflow_v1_SetModeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  SetMode(argument: _syncflow_v1_SetModeRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  /**
   * Sets the permission bits of an existing file in place (a chmod; feature "setMode").
   */
  setMode(argument: _syncflow_v1_SetModeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  setMode(argument: _syncflow_v1_SetModeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  setMode(argument: _syncflow_v1_SetModeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  setMode(argument: _syncflow_v1_SetModeRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sets the mtime of an existing path.
   */
  SetMtime(argument: _syncflow_v1_SetMtimeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  SetMtime(argument: _syncflow_v1_SetMtimeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  SetMtime(argument: _syncflow_v1_SetMtimeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  SetMtime(argument: _syncflow_v1_SetMtimeRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  /**
   * Sets the mtime of an existing path.
   */
  setMtime(argument: _syncflow_v1_SetMtimeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  setMtime(argument: _syncflow_v1_SetMtimeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  setMtime(argument: _syncflow_v1_SetMtimeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  setMtime(argument: _syncflow_v1_SetMtimeRequest, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * The block signature of a file (rsync-style): the first message carries the parameters, every
   * message a batch of blocks. NOT_FOUND when the file is missing.
   */
  Signature(argument: _syncflow_v1_SignatureRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_SignatureReply__Output>;
  Signature(argument: _syncflow_v1_SignatureRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_SignatureReply__Output>;
  /**
   * The block signature of a file (rsync-style): the first message carries the parameters, every
   * message a batch of blocks. NOT_FOUND when the file is missing.
   */
  signature(argument: _syncflow_v1_SignatureRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_SignatureReply__Output>;
  signature(argument: _syncflow_v1_SignatureRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_SignatureReply__Output>;
  
  /**
   * The entry at a path; `found` false when it does not exist.
   */
  Stat(argument: _syncflow_v1_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  Stat(argument: _syncflow_v1_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  Stat(argument: _syncflow_v1_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  Stat(argument: _syncflow_v1_PathRequest, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  /**
   * The entry at a path; `found` false when it does not exist.
   */
  stat(argument: _syncflow_v1_PathRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _syncflow_v1_PathRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _syncflow_v1_PathRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  stat(argument: _syncflow_v1_PathRequest, callback: grpc.requestCallback<_syncflow_v1_StatReply__Output>): grpc.ClientUnaryCall;
  
  /**
   * Creates (or atomically replaces) a symlink.
   */
  Symlink(argument: _syncflow_v1_SymlinkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Symlink(argument: _syncflow_v1_SymlinkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Symlink(argument: _syncflow_v1_SymlinkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  Symlink(argument: _syncflow_v1_SymlinkRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  /**
   * Creates (or atomically replaces) a symlink.
   */
  symlink(argument: _syncflow_v1_SymlinkRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  symlink(argument: _syncflow_v1_SymlinkRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  symlink(argument: _syncflow_v1_SymlinkRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  symlink(argument: _syncflow_v1_SymlinkRequest, callback: grpc.requestCallback<_syncflow_v1_Empty__Output>): grpc.ClientUnaryCall;
  
  /**
   * Hints about changes below `root` until the client cancels.
   */
  Watch(argument: _syncflow_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_WatchReply__Output>;
  Watch(argument: _syncflow_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_WatchReply__Output>;
  /**
   * Hints about changes below `root` until the client cancels.
   */
  watch(argument: _syncflow_v1_WatchRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_WatchReply__Output>;
  watch(argument: _syncflow_v1_WatchRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_syncflow_v1_WatchReply__Output>;
  
  /**
   * Writes a file atomically: a `header`, then `data` chunks, then `end` (without which nothing is
   * committed). Returns the written entry.
   */
  Write(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  Write(metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  Write(options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  Write(callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  /**
   * Writes a file atomically: a `header`, then `data` chunks, then `end` (without which nothing is
   * committed). Returns the written entry.
   */
  write(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  write(metadata: grpc.Metadata, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  write(options: grpc.CallOptions, callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  write(callback: grpc.requestCallback<_syncflow_v1_EntryReply__Output>): grpc.ClientWritableStream<_syncflow_v1_WriteRequest>;
  
  /**
   * Many small files in one stream (feature "writeMany"): each file one `id`ed message (its header
   * and all its bytes), files one after another; each is written atomically on its own and answered
   * on its own (in any order) by its id: its entry, or its failure. A failure of one file fails
   * only that file; the stream itself fails only for what fails every file (auth, --read-only,
   * a malformed stream, a file over 64 KiB). Saves each small file a stream's setup and the
   * server's per-call checks.
   */
  WriteMany(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_WriteManyRequest, _syncflow_v1_WriteManyReply__Output>;
  WriteMany(options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_WriteManyRequest, _syncflow_v1_WriteManyReply__Output>;
  /**
   * Many small files in one stream (feature "writeMany"): each file one `id`ed message (its header
   * and all its bytes), files one after another; each is written atomically on its own and answered
   * on its own (in any order) by its id: its entry, or its failure. A failure of one file fails
   * only that file; the stream itself fails only for what fails every file (auth, --read-only,
   * a malformed stream, a file over 64 KiB). Saves each small file a stream's setup and the
   * server's per-call checks.
   */
  writeMany(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_WriteManyRequest, _syncflow_v1_WriteManyReply__Output>;
  writeMany(options?: grpc.CallOptions): grpc.ClientDuplexStream<_syncflow_v1_WriteManyRequest, _syncflow_v1_WriteManyReply__Output>;
  
}

export interface SyncflowHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Copies a file within the served tree (no bytes over the wire).
   */
  Copy: grpc.handleUnaryCall<_syncflow_v1_MoveRequest__Output, _syncflow_v1_EntryReply>;
  
  /**
   * The reverse of Patch: the client sends the signature of its old copy (header, then block
   * batches, then half-closes), the server streams the delta of its file against it.
   */
  Delta: grpc.handleBidiStreamingCall<_syncflow_v1_DeltaRequest__Output, _syncflow_v1_DeltaReply>;
  
  /**
   * The content index: does the server already hold a file with these bytes anywhere under the
   * served root? Asked first with `size` alone (cheap: `maybe` says whether any file has that
   * size), then with `sha256` and a destination, in which case the server copies the file there
   * locally and returns its entry instead of the client uploading it.
   */
  FindContent: grpc.handleUnaryCall<_syncflow_v1_FindContentRequest__Output, _syncflow_v1_FindContentReply>;
  
  /**
   * Makes the named entries durable with their names (a server offering "flush"): the directories
   * holding them fsynced, with `contents` the files themselves too. Asked before a client removes
   * the originals of what it copied here (syncflow move).
   */
  Flush: grpc.handleUnaryCall<_syncflow_v1_FlushRequest__Output, _syncflow_v1_Empty>;
  
  /**
   * A digest (lowercase hex) of a file's content.
   */
  Hash: grpc.handleUnaryCall<_syncflow_v1_HashRequest__Output, _syncflow_v1_HashReply>;
  
  /**
   * Server facts (protocol version, capabilities, optional features) and whether `root` exists.
   * Clients call it first: it also checks the token.
   */
  Hello: grpc.handleUnaryCall<_syncflow_v1_HelloRequest__Output, _syncflow_v1_HelloReply>;
  
  /**
   * Every entry below `root`, recursively, in ascending UTF-8 byte order of the path (plus "/" for
   * directories), in batches. Parts that could not be listed come as `problems` in the stream.
   */
  List: grpc.handleServerStreamingCall<_syncflow_v1_ListRequest__Output, _syncflow_v1_ListReply>;
  
  /**
   * Creates a directory and its parents (idempotent).
   */
  Mkdir: grpc.handleUnaryCall<_syncflow_v1_MkdirRequest__Output, _syncflow_v1_Empty>;
  
  /**
   * Renames a path within the served tree.
   */
  Move: grpc.handleUnaryCall<_syncflow_v1_MoveRequest__Output, _syncflow_v1_EntryReply>;
  
  /**
   * Rebuilds a file from its current content plus delta ops, atomically; the ops end with `end`
   * (length and XXH3-128 of the result, checked before the rename: DATA_LOSS on mismatch).
   */
  Patch: grpc.handleClientStreamingCall<_syncflow_v1_PatchRequest__Output, _syncflow_v1_EntryReply>;
  
  /**
   * The bytes of a file (or of a range of it).
   */
  Read: grpc.handleServerStreamingCall<_syncflow_v1_ReadRequest__Output, _syncflow_v1_Chunk>;
  
  /**
   * Removes a file, symlink or empty directory; a missing path is not an error. With `expect` (a
   * server offering "removeExpect"), a file that is no longer that entry is left as it is
   * (FAILED_PRECONDITION, syncflow-code CONFLICT).
   */
  Remove: grpc.handleUnaryCall<_syncflow_v1_RemoveRequest__Output, _syncflow_v1_Empty>;
  
  /**
   * Sets the permission bits of an existing file in place (a chmod; feature "setMode").
   */
  SetMode: grpc.handleUnaryCall<_syncflow_v1_SetModeRequest__Output, _syncflow_v1_EntryReply>;
  
  /**
   * Sets the mtime of an existing path.
   */
  SetMtime: grpc.handleUnaryCall<_syncflow_v1_SetMtimeRequest__Output, _syncflow_v1_EntryReply>;
  
  /**
   * The block signature of a file (rsync-style): the first message carries the parameters, every
   * message a batch of blocks. NOT_FOUND when the file is missing.
   */
  Signature: grpc.handleServerStreamingCall<_syncflow_v1_SignatureRequest__Output, _syncflow_v1_SignatureReply>;
  
  /**
   * The entry at a path; `found` false when it does not exist.
   */
  Stat: grpc.handleUnaryCall<_syncflow_v1_PathRequest__Output, _syncflow_v1_StatReply>;
  
  /**
   * Creates (or atomically replaces) a symlink.
   */
  Symlink: grpc.handleUnaryCall<_syncflow_v1_SymlinkRequest__Output, _syncflow_v1_Empty>;
  
  /**
   * Hints about changes below `root` until the client cancels.
   */
  Watch: grpc.handleServerStreamingCall<_syncflow_v1_WatchRequest__Output, _syncflow_v1_WatchReply>;
  
  /**
   * Writes a file atomically: a `header`, then `data` chunks, then `end` (without which nothing is
   * committed). Returns the written entry.
   */
  Write: grpc.handleClientStreamingCall<_syncflow_v1_WriteRequest__Output, _syncflow_v1_EntryReply>;
  
  /**
   * Many small files in one stream (feature "writeMany"): each file one `id`ed message (its header
   * and all its bytes), files one after another; each is written atomically on its own and answered
   * on its own (in any order) by its id: its entry, or its failure. A failure of one file fails
   * only that file; the stream itself fails only for what fails every file (auth, --read-only,
   * a malformed stream, a file over 64 KiB). Saves each small file a stream's setup and the
   * server's per-call checks.
   */
  WriteMany: grpc.handleBidiStreamingCall<_syncflow_v1_WriteManyRequest__Output, _syncflow_v1_WriteManyReply>;
  
}

export interface SyncflowDefinition extends grpc.ServiceDefinition {
  Copy: MethodDefinition<_syncflow_v1_MoveRequest, _syncflow_v1_EntryReply, _syncflow_v1_MoveRequest__Output, _syncflow_v1_EntryReply__Output>
  Delta: MethodDefinition<_syncflow_v1_DeltaRequest, _syncflow_v1_DeltaReply, _syncflow_v1_DeltaRequest__Output, _syncflow_v1_DeltaReply__Output>
  FindContent: MethodDefinition<_syncflow_v1_FindContentRequest, _syncflow_v1_FindContentReply, _syncflow_v1_FindContentRequest__Output, _syncflow_v1_FindContentReply__Output>
  Flush: MethodDefinition<_syncflow_v1_FlushRequest, _syncflow_v1_Empty, _syncflow_v1_FlushRequest__Output, _syncflow_v1_Empty__Output>
  Hash: MethodDefinition<_syncflow_v1_HashRequest, _syncflow_v1_HashReply, _syncflow_v1_HashRequest__Output, _syncflow_v1_HashReply__Output>
  Hello: MethodDefinition<_syncflow_v1_HelloRequest, _syncflow_v1_HelloReply, _syncflow_v1_HelloRequest__Output, _syncflow_v1_HelloReply__Output>
  List: MethodDefinition<_syncflow_v1_ListRequest, _syncflow_v1_ListReply, _syncflow_v1_ListRequest__Output, _syncflow_v1_ListReply__Output>
  Mkdir: MethodDefinition<_syncflow_v1_MkdirRequest, _syncflow_v1_Empty, _syncflow_v1_MkdirRequest__Output, _syncflow_v1_Empty__Output>
  Move: MethodDefinition<_syncflow_v1_MoveRequest, _syncflow_v1_EntryReply, _syncflow_v1_MoveRequest__Output, _syncflow_v1_EntryReply__Output>
  Patch: MethodDefinition<_syncflow_v1_PatchRequest, _syncflow_v1_EntryReply, _syncflow_v1_PatchRequest__Output, _syncflow_v1_EntryReply__Output>
  Read: MethodDefinition<_syncflow_v1_ReadRequest, _syncflow_v1_Chunk, _syncflow_v1_ReadRequest__Output, _syncflow_v1_Chunk__Output>
  Remove: MethodDefinition<_syncflow_v1_RemoveRequest, _syncflow_v1_Empty, _syncflow_v1_RemoveRequest__Output, _syncflow_v1_Empty__Output>
  SetMode: MethodDefinition<_syncflow_v1_SetModeRequest, _syncflow_v1_EntryReply, _syncflow_v1_SetModeRequest__Output, _syncflow_v1_EntryReply__Output>
  SetMtime: MethodDefinition<_syncflow_v1_SetMtimeRequest, _syncflow_v1_EntryReply, _syncflow_v1_SetMtimeRequest__Output, _syncflow_v1_EntryReply__Output>
  Signature: MethodDefinition<_syncflow_v1_SignatureRequest, _syncflow_v1_SignatureReply, _syncflow_v1_SignatureRequest__Output, _syncflow_v1_SignatureReply__Output>
  Stat: MethodDefinition<_syncflow_v1_PathRequest, _syncflow_v1_StatReply, _syncflow_v1_PathRequest__Output, _syncflow_v1_StatReply__Output>
  Symlink: MethodDefinition<_syncflow_v1_SymlinkRequest, _syncflow_v1_Empty, _syncflow_v1_SymlinkRequest__Output, _syncflow_v1_Empty__Output>
  Watch: MethodDefinition<_syncflow_v1_WatchRequest, _syncflow_v1_WatchReply, _syncflow_v1_WatchRequest__Output, _syncflow_v1_WatchReply__Output>
  Write: MethodDefinition<_syncflow_v1_WriteRequest, _syncflow_v1_EntryReply, _syncflow_v1_WriteRequest__Output, _syncflow_v1_EntryReply__Output>
  WriteMany: MethodDefinition<_syncflow_v1_WriteManyRequest, _syncflow_v1_WriteManyReply, _syncflow_v1_WriteManyRequest__Output, _syncflow_v1_WriteManyReply__Output>
}
