import { type CompletedEvent, isTransferAction, transferBytesOf } from '@syncflow/core'

/**
 * How far a completed action moves the progress against the planned bytes: a transfer, its file's
 * size (as its progress events counted it), also when a delta sent far less (`bytes`, what the
 * summary counts as transferred). As core's throughput operator counts `bytesDone`.
 */
export function completedProgressBytes(e: CompletedEvent): number {
  return isTransferAction(e.action.kind) && !e.dryRun ? transferBytesOf(e.action) : e.bytes
}
