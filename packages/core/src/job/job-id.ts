import { createHash } from 'node:crypto'
import { realpathSync } from 'node:fs'
import path from 'node:path'
import { SyncError } from '../errors/sync-error.js'

/**
 * A stable short id (16 hex digits) for the job "sync `sourceUri` into `targetUri`". The pair is
 * ordered (A→B and B→A are different jobs, since each direction has its own state) and normalized
 * first, so `./photos/`, `photos` and `/abs/photos` name the same local directory.
 */
export function jobIdOf(sourceUri: string, targetUri: string): string {
  const key = `${normalizeLocation(sourceUri)}\n${normalizeLocation(targetUri)}`
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 16)
}

/**
 * The form of a location that `jobIdOf` hashes: a URI (`s3://b/p`) keeps its scheme and loses a
 * trailing `/`; a plain path (or `file://` URI) becomes an absolute, normalized path.
 */
export function normalizeLocation(location: string): string {
  const uri = /^([a-zA-Z][a-zA-Z0-9+.-]+):\/\/(.*)$/s.exec(location)
  if (uri && uri[1]!.toLowerCase() !== 'file') {
    const scheme = uri[1]!.toLowerCase()
    const rest = uri[2]!.replace(/\/+$/, '')
    return `${scheme}://${rest}`
  }
  const local = uri ? decodePath(uri[2]!) : location
  // path.resolve keeps a trailing separator only for the filesystem root, which must stay.
  return realLocation(path.resolve(local))
}

/**
 * `resolved` through symlinks, as far as it exists: one directory reached through a symlinked path
 * is one job (one lock, one state), and a target made by the first run keeps the id it had then.
 */
function realLocation(resolved: string): string {
  let head = resolved
  const rest: string[] = []
  for (;;) {
    try {
      return path.join(realpathSync.native(head), ...rest)
    } catch {
      const parent = path.dirname(head)
      if (parent === head) return resolved
      rest.unshift(path.basename(head))
      head = parent
    }
  }
}

const JOB_ID = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/

/**
 * Checks that `jobId` can name files in the state directory (`<jobId>.sqlite`, `<jobId>.lock`).
 * @throws SyncError `USAGE` when it cannot.
 */
export function assertJobId(jobId: string): void {
  if (!JOB_ID.test(jobId)) {
    throw new SyncError('USAGE', `invalid job id ${JSON.stringify(jobId)}`, {
      hint: 'A job id is 1 to 128 letters, digits, ".", "_" or "-", not starting with "."; jobIdOf() makes one.',
    })
  }
}

function decodePath(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s // a malformed %-escape: take the text as it is
  }
}
