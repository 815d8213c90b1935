import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Backend, ListOptions, ReadRange, WriteMeta, WriteOptions } from '../backend/backend.js'
import { type Entry, entrySortKey, type HashAlgo } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'

/** The mtime `writeText` uses when none is given (a fixed instant, so listings are reproducible). */
export const DEFAULT_TEST_MTIME_MS = 1_600_000_000_000

/** Writes `content` to `path`; `meta` is the mtime in ms or a partial `WriteMeta`. Returns the written entry. */
export function writeText(
  backend: Backend,
  path: string,
  content: string | Uint8Array,
  meta: number | Partial<WriteMeta> = {},
  opts?: WriteOptions,
): Promise<Entry> {
  const bytes = Buffer.from(content)
  const m = typeof meta === 'number' ? { mtimeMs: meta } : meta
  return backend.write(
    path as RelPath,
    Readable.from([bytes]),
    { size: bytes.length, ...m, mtimeMs: m.mtimeMs ?? DEFAULT_TEST_MTIME_MS },
    opts,
  )
}

/** Reads a whole stream into one buffer (for small contents). */
export async function collectStream(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of stream) parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string))
  return Buffer.concat(parts)
}

/** The bytes of `path` (or of `range`). */
export async function readBytes(backend: Backend, path: string, range?: ReadRange): Promise<Buffer> {
  return collectStream(await backend.read(path as RelPath, range))
}

/** The content of `path` (or of `range`) as UTF-8 text. */
export async function readText(backend: Backend, path: string, range?: ReadRange): Promise<string> {
  return (await readBytes(backend, path, range)).toString('utf8')
}

/** The whole listing, in the order the backend yields it. */
export async function listAll(backend: Backend, opts?: ListOptions): Promise<Entry[]> {
  const entries: Entry[] = []
  for await (const entry of backend.list(opts)) entries.push(entry)
  return entries
}

/** The listing as sort keys (`path`, plus `/` for directories), in the order the backend yields it. */
export async function listKeys(backend: Backend, opts?: ListOptions): Promise<string[]> {
  return (await listAll(backend, opts)).map(entrySortKey)
}

/** The paths of the files (not directories or symlinks) a backend lists. */
export async function listFiles(backend: Backend, opts?: ListOptions): Promise<string[]> {
  return (await listAll(backend, opts)).filter((e) => e.kind === 'file').map((e) => e.path)
}

/** The hex digest of a stream, computed as it flows (constant memory). */
export async function hashStream(stream: Readable, algo: HashAlgo = 'sha256'): Promise<string> {
  const hash = createHash(algo)
  for await (const chunk of stream) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** The error a promise rejects with; fails when it resolves instead. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected the call to fail, but it succeeded')
}

/** How a promise settled, as a value to assert on: `{ value }` or `{ error }`. */
export function settled<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  )
}
