import { SyncError } from '@syncflow/core'

/** A user-fixable mistake (cli-kit's AbortError): `message` says what is wrong, `hint` what to do. */
export function usageError(message: string, hint?: string): SyncError {
  return new SyncError('USAGE', message, hint !== undefined ? { hint } : {})
}
