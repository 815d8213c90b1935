import type { Entry, EntryKind, HashAlgo, RelPath, WriteMeta } from '@syncflow/core'
import { SyncError, toRelPath } from '@syncflow/core'
import type { Entry as WireEntry, Entry__Output as WireEntryOut } from '../generated/syncflow/v1/Entry.js'
import type { Expect, Expect__Output } from '../generated/syncflow/v1/Expect.js'
import type { WriteMeta as WireMeta, WriteMeta__Output as WireMetaOut } from '../generated/syncflow/v1/WriteMeta.js'

const KINDS = { file: 'FILE', dir: 'DIR', symlink: 'SYMLINK' } as const
const ALGOS: readonly HashAlgo[] = ['md5', 'sha1', 'sha256']

/** An Entry for the wire, with its path made relative to another root by `mapPath`. */
export function toWireEntry(e: Entry, path: string = e.path): WireEntry {
  return {
    path,
    kind: KINDS[e.kind],
    size: e.size,
    mtimeMs: e.mtimeMs,
    ...(e.mode !== undefined ? { mode: e.mode } : {}),
    hashes: { ...e.hashes },
    ...(e.version !== undefined ? { version: e.version } : {}),
    ...(e.linkTarget !== undefined ? { linkTarget: e.linkTarget } : {}),
  }
}

/**
 * An Entry from the wire, validated as if hostile: the path must be a RelPath (`INVALID_PATH`
 * otherwise), numbers finite and non-negative, hashes lowercase hex of known algorithms.
 */
export function fromWireEntry(w: WireEntryOut | null | undefined, op: string): Entry {
  if (!w) throw bad(op, 'missing entry')
  const path = toRelPath(w.path, 'path from the server')
  const kind: EntryKind = w.kind === 'DIR' ? 'dir' : w.kind === 'SYMLINK' ? 'symlink' : 'file'
  if (!Number.isSafeInteger(w.size) || w.size < 0 || !Number.isFinite(w.mtimeMs)) {
    throw bad(op, `bad size or mtime for ${JSON.stringify(w.path)}`)
  }
  const hashes: Partial<Record<HashAlgo, string>> = {}
  for (const algo of ALGOS) {
    const hex = w.hashes[algo]
    if (hex !== undefined && /^[0-9a-f]+$/.test(hex)) hashes[algo] = hex
  }
  return {
    path,
    kind,
    size: w.size,
    mtimeMs: w.mtimeMs,
    ...(w.mode !== undefined ? { mode: w.mode & 0o7777 } : {}),
    ...(Object.keys(hashes).length > 0 ? { hashes } : {}),
    ...(w.version !== undefined ? { version: w.version } : {}),
    ...(w.linkTarget !== undefined && kind === 'symlink' ? { linkTarget: w.linkTarget } : {}),
  }
}

/** WriteMeta for the wire. */
export function toWireMeta(m: Partial<WriteMeta>): WireMeta {
  return {
    ...(m.size !== undefined ? { size: m.size } : {}),
    mtimeMs: m.mtimeMs ?? 0,
    ...(m.mode !== undefined ? { mode: m.mode } : {}),
    hashes: { ...m.hashes },
  }
}

/** The largest mtime a client may set, either side of 1970: a JS Date's range (±100,000,000 days). */
const MAX_WIRE_MTIME_MS = 8.64e15

/**
 * A client's mtime (ms since 1970), checked before anything is written: a number within a date's
 * range, else USAGE naming the value. 1e300 or -Infinity passed `isFinite` (or not) and reached
 * utimes, which failed with EINVAL (UNKNOWN, "a bug in syncflow") after the file or directory was made.
 */
export function checkWireMtime(mtimeMs: number, op: string): number {
  if (Number.isFinite(mtimeMs) && Math.abs(mtimeMs) <= MAX_WIRE_MTIME_MS) return mtimeMs
  throw new SyncError('USAGE', `bad mtime ${mtimeMs}: not a time (ms since 1970) within ±8.64e15, a date's range`, {
    op: `serve.${op}`,
  })
}

/** WriteMeta from the wire (server side: the client's input, validated). */
export function fromWireMeta(w: WireMetaOut | null | undefined, op = 'write'): WriteMeta {
  if (!w) throw new SyncError('USAGE', 'write without metadata', { op: `serve.${op}` })
  checkWireMtime(w.mtimeMs, op)
  const hashes: Partial<Record<HashAlgo, string>> = {}
  for (const algo of ALGOS) {
    const hex = w.hashes[algo]
    if (hex !== undefined && /^[0-9a-f]+$/.test(hex)) hashes[algo] = hex
  }
  return {
    mtimeMs: w.mtimeMs,
    ...(w.size !== undefined && Number.isSafeInteger(w.size) ? { size: w.size } : {}),
    ...(w.mode !== undefined ? { mode: w.mode & 0o7777 } : {}),
    ...(Object.keys(hashes).length > 0 ? { hashes } : {}),
  }
}

/** `WriteOptions.expect` for the wire (`undefined` = no check = no field). */
export function toWireExpect(expect: Entry | null | undefined): Expect | null {
  if (expect === undefined) return null
  return expect === null ? { absent: true } : { entry: toWireEntry(expect) }
}

/** `WriteOptions.expect` from the wire, with the entry's path replaced by the checked `path`. */
export function fromWireExpect(w: Expect__Output | null | undefined, path: RelPath): Entry | null | undefined {
  if (!w || w.expect === undefined) return undefined
  if (w.expect === 'absent') return null
  const e = fromWireEntry(w.entry ? { ...w.entry, path } : null, 'expect')
  return e
}

function bad(op: string, message: string): SyncError {
  return new SyncError('UNSUPPORTED', message, {
    op: `grpc.${op}`,
    hint: 'The server sent something malformed: check that it is a syncflow server of the same version.',
  })
}
