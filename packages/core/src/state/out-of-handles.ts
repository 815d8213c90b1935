import { closeSync, openSync } from 'node:fs'
import { SyncError } from '../errors/sync-error.js'

/**
 * True when `err` comes from the process being out of file handles (EMFILE, ENFILE). Also where its
 * own words do not say so: a module import fails as "Cannot find package", SQLite as CANTOPEN, and
 * a run under `ulimit -n 128` was sent off to reinstall its dependencies or report a bug (QA 22
 * #15). Then one handle is asked for now: refused, that was the cause.
 */
export function outOfHandles(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'EMFILE' || code === 'ENFILE') return true
  if (/too many open files/i.test(err instanceof Error ? err.message : String(err))) return true
  let fd: number | undefined
  try {
    fd = openSync('/dev/null', 'r')
    return false
  } catch (probe) {
    const c = (probe as { code?: unknown } | null)?.code
    return c === 'EMFILE' || c === 'ENFILE'
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** The state store's failure for lack of file handles, with what to do about it. */
export function outOfHandlesError(err: unknown, op: string, location?: string): SyncError {
  const message = err instanceof Error ? err.message : String(err)
  return new SyncError('TRANSIENT', `too many open files to use the state store (${message})`, {
    op,
    ...(location !== undefined ? { path: location } : {}),
    cause: err,
    hint: 'The limit of open files of this process (ulimit -n) is too low for the run: raise it, or run with a lower --concurrency.',
  })
}
