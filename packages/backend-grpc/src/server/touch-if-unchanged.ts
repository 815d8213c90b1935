import {
  type Backend,
  type Entry,
  type RelPath,
  SyncError,
  setMtimeInPlace,
  supports,
  type WholeBaseCopy,
  type WriteMeta,
  wholeFileDigest,
} from '@syncflow/core'
import type { ServedTree } from './served-tree.js'

/** Why `current` no longer is the `expect`ed entry (as `LocalBackend.write` checks it), or undefined. */
function changedFrom(expect: Entry | null | undefined, current: Entry | undefined): string | undefined {
  if (expect === undefined) return undefined
  if (expect === null) return current ? 'appeared' : undefined
  if (current === undefined) return 'was removed'
  if (current.kind !== expect.kind) return `became a ${current.kind}`
  if (expect.version !== undefined && current.version !== undefined) {
    return current.version === expect.version ? undefined : 'changed'
  }
  return current.size === expect.size && current.mtimeMs === expect.mtimeMs ? undefined : 'changed'
}

/**
 * A patch whose ops copy the whole base unchanged (`isWholeBaseCopy`): when the base's bytes have
 * the `end` digest, the file is left as it is and only gets the new mtime, instead of being
 * rewritten whole: a file touched (or restored) with the same content costs a read, not a write.
 * Returns `undefined` when that does not apply (not a regular file any more, a mode to change, an
 * mtime it may not set in place), for the caller to patch as usual. Throws `CONFLICT` when the file is no longer `expect`, and
 * `CHECKSUM` (the client then sends the file whole) when its bytes differ or change meanwhile.
 */
export async function touchIfUnchanged(
  backend: Backend,
  tree: ServedTree,
  rel: RelPath,
  full: RelPath,
  ops: WholeBaseCopy,
  meta: WriteMeta,
  opts: { expect?: Entry | null; signal?: AbortSignal },
): Promise<Entry | undefined> {
  if (!supports.setMtime(backend)) return undefined
  const before = await backend.stat(rel)
  const changed = changedFrom(opts.expect, before)
  if (changed !== undefined) {
    throw new SyncError('CONFLICT', `destination ${changed} since it was planned; left untouched`, {
      op: 'serve.patch',
      path: rel,
      hint: 'It was changed meanwhile: run the sync again.',
    })
  }
  if (before?.kind !== 'file' || before.size !== ops[1].size) return undefined
  if (meta.mode !== undefined && before.mode !== undefined && (meta.mode & 0o7777) !== (before.mode & 0o7777)) {
    return undefined
  }
  const digest = await wholeFileDigest(tree.scanFile(full))
  const after = await backend.stat(rel)
  if (digest !== ops[1].xxh128 || changedFrom(before, after) !== undefined) {
    throw new SyncError('CHECKSUM', 'the file changed since its signature', {
      op: 'serve.patch',
      path: rel,
      hint: 'The base file or the source changed during the transfer; the next run copies it again.',
    })
  }
  opts.signal?.throwIfAborted()
  return setMtimeInPlace(backend, rel, meta.mtimeMs)
}
