import type { Backend } from '../backend/backend.js'
import { isSyncError, SyncError } from '../errors/sync-error.js'
import { toRelPath } from '../model/rel-path.js'

/** The name of the ignore file read at the source root. */
export const IGNORE_FILE_NAME = '.syncflowignore'

/** An ignore file larger than this is surely not one (a mistake, or a huge generated list). */
const MAX_IGNORE_FILE_BYTES = 1024 * 1024

/**
 * Reads `.syncflowignore` at the root of `backend` (UTF-8, a BOM dropped).
 * @returns its text, or `undefined` when there is none.
 * @throws SyncError from the backend (other than `NOT_FOUND`); `USAGE` if it is over 1 MiB.
 */
export async function loadIgnoreFile(backend: Backend): Promise<string | undefined> {
  const path = toRelPath(IGNORE_FILE_NAME)
  let body: AsyncIterable<Buffer | string>
  try {
    body = await backend.read(path)
  } catch (err) {
    if (isSyncError(err) && err.code === 'NOT_FOUND') return undefined
    throw err
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += buf.length
    if (size > MAX_IGNORE_FILE_BYTES) {
      ;(body as { destroy?: () => void }).destroy?.()
      throw new SyncError('USAGE', `${IGNORE_FILE_NAME} is larger than 1 MiB`, {
        path,
        hint: `Shorten ${IGNORE_FILE_NAME} (use globs such as "*.log" or "build/" instead of listing files).`,
      })
    }
    chunks.push(buf)
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/^\uFEFF/, '')
}
