import { asSyncError, type SerializedError, SyncError } from '@syncflow/core'

/**
 * `error` as a SyncError to print: a summary's `fatal` comes serialized (code, message, hint) and
 * is made an error again; anything else goes through `asSyncError`. Through `asSyncError` alone, a
 * serialized one was "internal error: [object Object]" (QA 18 #1, `syncflow ui` after an AUTH stop).
 */
export function reviveError(error: unknown): SyncError {
  if (!isSerializedError(error)) return asSyncError(error)
  return new SyncError(error.code, error.message, error.hint ? { hint: error.hint } : {})
}

/** A `SerializedError` (a summary's `fatal`), not an Error. */
function isSerializedError(value: unknown): value is SerializedError {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Error) &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  )
}
