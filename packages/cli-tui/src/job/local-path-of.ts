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
  } catch (err) {
    // Said as what it is: both were "takes an absolute path" of a URL that has one (QA 29b).
    if ((err as NodeJS.ErrnoException).code === 'ERR_INVALID_FILE_URL_PATH') {
      throw usageError(
        `not a local file URI: ${JSON.stringify(location)} holds %2F, an encoded /, which no file name can hold`,
        'Write the / itself (file:///a/b), or give a plain path.',
      )
    }
    if (err instanceof URIError) {
      throw usageError(
        `not a local file URI: ${JSON.stringify(location)} has a % that is not followed by two hex digits`,
        'Write a % in a name as %25 (file:///data/100%25), or give a plain path, where % is itself.',
      )
    }
    throw usageError(
      `not a local file URI: ${JSON.stringify(location)}`,
      'A file:// URL takes an absolute path: write file:///absolute/path (three slashes), or give a plain path (relative or absolute).',
    )
  }
}
