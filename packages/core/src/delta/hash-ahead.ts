import { transientChunks } from './transient-chunks.js'
import { createWholeFileHasher, type WholeFileHasher } from './whole-file-hash.js'

/** The whole-file hash of a file's first `bytes` bytes, to be continued (see `GenerateDeltaOptions.hashed`). */
export interface HashedPrefix {
  readonly hasher: WholeFileHasher
  readonly bytes: number
}

/**
 * Hashes `source` (the new file of a delta) from its start until `until` settles or the file ends,
 * whichever comes first. For the time a delta waits for the target's signature (the other side
 * reads its whole file for it: ~0.45 s per GiB): the matching pass then hashes only what is left,
 * and the hash no longer weighs on it (~0.2 s per GiB). Reads the file a second time, from the page
 * cache usually; should it change in between, the whole-file check fails and the file goes whole.
 */
export async function hashAhead(
  source: AsyncIterable<Uint8Array>,
  until: Promise<unknown>,
  opts: { signal?: AbortSignal } = {},
): Promise<HashedPrefix> {
  const hasher = await createWholeFileHasher()
  let stop = false
  const settle = () => {
    stop = true
  }
  until.then(settle, settle)
  let bytes = 0
  for await (const chunk of transientChunks(source)) {
    opts.signal?.throwIfAborted()
    hasher.update(chunk)
    bytes += chunk.length
    if (stop) break
  }
  return { hasher, bytes }
}
