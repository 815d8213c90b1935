import type { Backend } from '../backend/backend.js'
import type { Entry, HashAlgo } from '../model/entry.js'
import { hashOf } from '../operators/decide.js'

/**
 * Whether two files hold the same bytes, by the `algo` hash both sides offer (`bisync --checksum`):
 * `undefined` where a side has no such hash for its file (an S3 object uploaded in parts), which
 * is then compared by size and mtime, as one-way `--checksum` does. A failure to read one (gone,
 * refused) is thrown: the caller leaves the path as it is.
 */
export async function sameContent(
  a: Backend,
  b: Backend,
  ea: Entry,
  eb: Entry,
  algo: HashAlgo,
  signal?: AbortSignal,
): Promise<boolean | undefined> {
  if (ea.size !== eb.size) return false
  const [ha, hb] = await Promise.all([hashOf(a, ea, algo, signal), hashOf(b, eb, algo, signal)])
  if (ha === undefined || hb === undefined) return undefined
  return ha === hb
}
