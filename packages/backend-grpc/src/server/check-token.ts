import { createHash, timingSafeEqual } from 'node:crypto'
import type { Metadata } from '@grpc/grpc-js'
import { SyncError } from '@syncflow/core'

/**
 * A check of the `authorization: Bearer <token>` metadata against the server's token, in
 * constant time (both sides hashed first, so neither the length nor a prefix leaks).
 * No token configured = every call allowed.
 */
export function tokenChecker(token: string | undefined): (metadata: Metadata) => void {
  if (token === undefined) return () => {}
  // Trimmed as clients trim theirs (see checkTokenText).
  const expected = createHash('sha256').update(`Bearer ${token.trim()}`).digest()
  return (metadata) => {
    const given = metadata.get('authorization')[0]
    const digest = createHash('sha256')
      .update(typeof given === 'string' ? given : '')
      .digest()
    if (given === undefined || !timingSafeEqual(digest, expected)) {
      throw new SyncError('AUTH', given === undefined ? 'no token given' : 'wrong token', {
        hint: "Pass the server's token with --token, --token-file or the SYNCFLOW_TOKEN environment variable (one token serves every grpc:// location of a command).",
      })
    }
  }
}
