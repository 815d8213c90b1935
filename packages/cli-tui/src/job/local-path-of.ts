import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { schemeOf } from '@syncflow/core'
import { usageError } from '../errors/usage-error.js'

/**
 * The absolute local path of a bare path or `file://` location; undefined for other schemes.
 * @throws SyncError `USAGE` for a `file://` URL that names no local absolute path (`file://dir`,
 * read as a host name).
 */
export function localPathOf(location: string): string | undefined {
  if (schemeOf(location) !== 'file') return undefined
  if (!/^file:\/\//i.test(location)) return resolve(location)
  try {
    return fileURLToPath(location)
  } catch {
    throw usageError(
      `not a local file URI: ${JSON.stringify(location)}`,
      'A file:// URL takes an absolute path: write file:///absolute/path (three slashes), or give a plain path (relative or absolute).',
    )
  }
}
