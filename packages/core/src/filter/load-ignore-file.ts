import type { Backend } from '../backend/backend.js'
import { isSyncError, SyncError } from '../errors/sync-error.js'
import { type RelPath, toRelPath } from '../model/rel-path.js'
import { undecodableLine } from './undecodable-line.js'

/** The name of the ignore file read at the source root. */
export const IGNORE_FILE_NAME = '.syncflowignore'

/** An ignore file larger than this is surely not one (a mistake, or a huge generated list). */
const MAX_IGNORE_FILE_BYTES = 1024 * 1024

/**
 * Reads `.syncflowignore` at the root of `backend` (UTF-8, a BOM dropped).
 * @returns its text, or `undefined` when there is none.
 * @throws SyncError from the backend (other than `NOT_FOUND`); `USAGE` if it is over 1 MiB, or not UTF-8.
 */
export async function loadIgnoreFile(backend: Backend): Promise<string | undefined> {
  const path = toRelPath(IGNORE_FILE_NAME)
  let body: AsyncIterable<Buffer | string>
  try {
    body = await backend.read(path)
  } catch (err) {
    if (isSyncError(err) && err.code === 'NOT_FOUND') return undefined
    // A directory of that name failed every run with the backend's bare "not a file (a directory)"
    // (QA 29e): it holds no rules, and what to do about it is the user's to choose.
    if (isSyncError(err) && err.code === 'CONFLICT' && (await isDirectory(backend, path))) {
      throw new SyncError('USAGE', `${IGNORE_FILE_NAME} at the source root is a directory, not a file of rules`, {
        path,
        cause: err,
        hint: `Rename or remove that directory: syncflow reads ignore rules only from a file named ${IGNORE_FILE_NAME}.`,
      })
    }
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
  const bytes = Buffer.concat(chunks)
  // A rule that is not UTF-8 matches no name: refused, as a bad pattern is (see undecodableLine).
  const bad = undecodableLine(bytes, (line) => line.trim() !== '' && !line.startsWith('#'))
  if (bad !== undefined) {
    const encoding = bad.utf16 ? 'UTF-16' : 'LATIN1'
    throw new SyncError(
      'USAGE',
      `${IGNORE_FILE_NAME}, line ${bad.number}, is not UTF-8${bad.utf16 ? ' (the file is UTF-16?)' : ''}: its rules would match no name`,
      {
        path,
        hint: `Save ${IGNORE_FILE_NAME} as UTF-8 (iconv -f ${encoding} -t UTF-8); a name that is not UTF-8 is matched with a ? where its odd byte is.`,
      },
    )
  }
  return bytes.toString('utf8').replace(/^\uFEFF/, '')
}

async function isDirectory(backend: Backend, path: RelPath): Promise<boolean> {
  const entry = await backend.stat(path).catch(() => undefined)
  return entry?.kind === 'dir'
}
