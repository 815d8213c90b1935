import { schemeOf } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'

/**
 * Refuses a `mem://` location (core's in-memory backend, registered for library users and tests):
 * it lives only while the command runs, so it starts empty and keeps nothing. `move DIR mem://x`
 * deleted every source file once "copied" into it, exit 0; `sync DIR mem://x` said it copied them.
 * `--backup-dir mem://…` was refused already (QA 24 #2).
 * @throws SyncError `USAGE`
 */
export function assertPersistentLocation(what: string, location: string): void {
  if (schemeOf(location) !== 'mem') return
  throw usageError(
    `${what} ${JSON.stringify(location)} is an in-memory store (mem://): it exists only while syncflow runs, so it starts empty and keeps nothing`,
    'Give a directory or a URI that persists (a path, s3://bucket/prefix, grpc://host:port/path).',
  )
}
