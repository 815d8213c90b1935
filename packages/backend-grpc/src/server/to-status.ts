import type { Metadata, StatusObject } from '@grpc/grpc-js'
import { asSyncError, type SyncErrorCode } from '@syncflow/core'
import type { Protocol } from '../wire/load-protocol.js'

/** The gRPC status of each syncflow code (the client maps back via the `syncflow-code` trailer). */
const STATUS: Record<SyncErrorCode, number> = {
  NOT_FOUND: 5,
  PERMISSION: 7,
  INVALID_PATH: 3,
  CONFLICT: 9,
  TRANSIENT: 14,
  AUTH: 16,
  USAGE: 3,
  UNSUPPORTED: 12,
  LOCKED: 9,
  NO_SPACE: 8,
  ABORTED: 1,
  CHECKSUM: 15,
  UNKNOWN: 13,
}

/** A server-side failure as a gRPC status, naming the syncflow code, path and hint in trailers. */
export function toStatus(err: unknown, grpc: Protocol['grpc'], op: string): Partial<StatusObject> {
  const e = asSyncError(err, `serve.${op}`)
  const metadata: Metadata = new grpc.Metadata()
  metadata.set('syncflow-code', e.code)
  if (e.path !== undefined) metadata.set('syncflow-path', encodeURIComponent(e.path))
  if (e.hint !== undefined) metadata.set('syncflow-hint', e.hint)
  // Header values must be printable ASCII: messages with other characters are escaped.
  return { code: STATUS[e.code], details: e.message.replace(/[^\x20-\x7e]/g, (c) => encodeURIComponent(c)), metadata }
}
