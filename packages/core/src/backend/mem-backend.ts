import { createHash } from 'node:crypto'
import { addAbortSignal, Readable } from 'node:stream'
import { asSyncError, SyncError } from '../errors/sync-error.js'
import { compareUtf8 } from '../model/compare-utf8.js'
import type { Entry, HashAlgo } from '../model/entry.js'
import { type RelPath, relPathProblem, toRelPath } from '../model/rel-path.js'
import { isListedFile, sourceChanged } from '../operators/size-mismatch.js'
import type {
  Backend,
  Capabilities,
  Copyable,
  CopyFromCapable,
  DirCreatable,
  Hashable,
  ListOptions,
  Movable,
  MtimeSettable,
  ReadOptions,
  ReadRange,
  Symlinkable,
  WriteMeta,
  WriteOptions,
} from './backend.js'
import type { BackendPlugin } from './backend-plugin.js'
import { expectMismatch } from './expect-mismatch.js'

/** Operations of `MemBackend` that a fault can be injected into (`list` has its own signature). */
export type MemOp =
  | 'stat'
  | 'read'
  | 'write'
  | 'remove'
  | 'move'
  | 'copy'
  | 'copyFrom'
  | 'hash'
  | 'setMtime'
  | 'mkdir'
  | 'symlink'

/**
 * A fault hook: return a SyncError to make the call fail with it, `undefined` to let it run.
 * It may return a promise, which the call awaits first (a test can hold a write until it is released).
 */
export type MemFault = (path: RelPath) => SyncError | undefined | Promise<SyncError | undefined>

/**
 * Faults injected into a MemBackend, for engine tests ("mocks add faults on top" of a real backend).
 * Each hook runs when the call starts (for `write`: before the body is read; the body is then destroyed).
 */
export interface MemFaults extends Partial<Record<MemOp, MemFault>> {
  /**
   * Called once with `undefined` when a listing starts (an error fails the whole listing, as an
   * unreadable root does), then once per entry (an error is passed to `onError`, or thrown without
   * one, and the entry and everything below it are left out, as an unreadable directory is).
   */
  list?: (path: RelPath | undefined) => SyncError | undefined | Promise<SyncError | undefined>
}

/** Options of `createMemBackend`. */
export interface MemBackendOptions {
  /** A named store is shared by every backend opened with that name in this process. [a fresh anonymous store] */
  readonly name?: string
  /** A sub-directory of the store to use as the root (like `mem://NAME/sub/dir`). [the store root] */
  readonly root?: string
  /** Injected failures; may also be replaced later through `backend.faults`. [none] */
  readonly faults?: MemFaults
  /**
   * Emulate a weaker backend (the behaviour follows): `mtimePrecisionMs` truncates stored mtimes,
   * `hashes` limits `hash()`, `emptyDirs: false` lists no directories, `listMtime: false` lists the
   * upload time instead of the preserved mtime (as S3 does), `maxPathBytes` is announced (the engine
   * plans by it; writes do not check it), `caseSensitive: false` is announced (the engine plans by
   * it; names are still kept apart). [full capabilities]
   */
  readonly capabilities?: Partial<
    Pick<Capabilities, 'mtimePrecisionMs' | 'hashes' | 'emptyDirs' | 'listMtime' | 'maxPathBytes' | 'caseSensitive'>
  >
}

interface MemFile {
  readonly kind: 'file'
  readonly data: Buffer
  readonly mtimeMs: number
  readonly mode: number
  readonly version: number
  /** When it was written (what a `listMtime: false` backend lists). */
  readonly uploadedMs: number
  /** Digests computed so far; a node is immutable, so they stay valid for its life. */
  readonly hashes: Partial<Record<HashAlgo, string>>
}

interface MemDir {
  readonly kind: 'dir'
  readonly mtimeMs: number
  readonly mode: number
  readonly version: number
  /** Number of direct children, so `remove` can refuse a non-empty directory in O(1). */
  children: number
}

interface MemSymlink {
  readonly kind: 'symlink'
  readonly linkTarget: string
  readonly mtimeMs: number
  readonly version: number
}

type MemNode = MemFile | MemDir | MemSymlink

/** The data of one named store: a flat map from store path to node, with explicit directories. */
class MemStore {
  readonly nodes = new Map<string, MemNode>()
  #version = 0
  nextVersion(): number {
    this.#version += 1
    return this.#version
  }
}

const stores = new Map<string, MemStore>()
let anonymousStores = 0

const FULL_CAPABILITIES: Capabilities = {
  hashes: ['md5', 'sha1', 'sha256'],
  mtimePrecisionMs: 1,
  listMtime: true,
  emptyDirs: true,
  symlinks: true,
  permissions: true,
  caseSensitive: true,
  watch: 'none',
}

const CHUNK = 64 * 1024
const PROGRESS_EVERY = 1024 * 1024
const STORE_NAME = /^[A-Za-z0-9._-]+$/

/**
 * An in-process backend that behaves like a small POSIX filesystem: explicit directories (a
 * directory's mtime changes when an entry is added to or removed from it), file contents, mtime,
 * mode and symlinks kept exactly. It implements the whole contract and every optional feature
 * except `watch` and `delta`, so it is both the reference for "Writing a backend" and the fast,
 * fault-injectable backend of the engine's tests.
 */
export class MemBackend
  implements Backend, Movable, Copyable, CopyFromCapable, Hashable, MtimeSettable, DirCreatable, Symlinkable
{
  readonly uri: string
  readonly capabilities: Capabilities
  /** Injected failures (replaceable at any time). */
  faults: MemFaults
  readonly #store: MemStore
  /** Store path of the root ('' for the store root). */
  readonly #prefix: string
  #closed = false

  constructor(options: MemBackendOptions = {}) {
    let name = options.name
    let store: MemStore
    if (name === undefined) {
      anonymousStores += 1
      name = `anonymous-${anonymousStores}`
      // Anonymous stores are not registered: nothing else can reach them, and they are freed with the backend.
      store = new MemStore()
    } else {
      if (!STORE_NAME.test(name)) {
        throw new SyncError('USAGE', `invalid mem store name ${JSON.stringify(name)}`, {
          hint: 'Use letters, digits, ".", "_" and "-", as in mem://my-test.',
        })
      }
      store = stores.get(name) ?? new MemStore()
      stores.set(name, store)
    }
    this.#store = store
    this.#prefix = options.root === undefined || options.root === '' ? '' : toRelPath(options.root, 'mem root')
    this.uri = `mem://${name}${this.#prefix === '' ? '' : `/${this.#prefix}`}`
    this.capabilities = { ...FULL_CAPABILITIES, ...options.capabilities }
    this.faults = options.faults ?? {}
  }

  async *list(opts: ListOptions = {}): AsyncGenerator<Entry> {
    this.#open('list')
    const startFault = await this.faults.list?.(undefined)
    if (startFault) throw startFault
    // A snapshot, sorted once: the store is in memory anyway, and later changes must not reorder a running listing.
    const base = this.#prefix === '' ? '' : `${this.#prefix}/`
    const items: { key: string; sortKey: string; node: MemNode }[] = []
    for (const [key, node] of this.#store.nodes) {
      if (!key.startsWith(base) || key === this.#prefix) continue
      const path = key.slice(base.length)
      items.push({ key: path, sortKey: node.kind === 'dir' ? `${path}/` : path, node })
    }
    items.sort((a, b) => compareUtf8(a.sortKey, b.sortKey))
    let skipBelow: string | undefined
    for (const { key, sortKey, node } of items) {
      if (opts.signal?.aborted) throw new SyncError('ABORTED', 'listing interrupted', { op: 'mem.list' })
      // Sorting puts a directory right before its contents, so one prefix skips a whole subtree.
      if (skipBelow !== undefined && key.startsWith(skipBelow)) continue
      skipBelow = undefined
      const problem = relPathProblem(key)
      if (problem !== undefined) {
        // Excluded by the user: skipped without a word (it could not be synced anyway).
        if (opts.excluded?.(key)) {
          if (node.kind === 'dir') skipBelow = sortKey
          continue
        }
        const error = new SyncError('INVALID_PATH', `unsafe name skipped: ${problem}`, {
          op: 'mem.list',
          path: key,
          hint: 'Rename the file, or exclude it with --exclude.',
        })
        if (!opts.onError) throw error
        opts.onError(error)
        if (node.kind === 'dir') skipBelow = sortKey
        continue
      }
      const path = key as RelPath
      const fault = await this.faults.list?.(path)
      if (fault) {
        if (!opts.onError) throw fault
        opts.onError(fault)
        if (node.kind === 'dir') skipBelow = sortKey
        continue
      }
      // Without listed directories (like S3) a directory still prunes, as a skipped common prefix would.
      if (node.kind !== 'dir' || this.capabilities.emptyDirs) yield this.#entry(path, node, true)
      if (node.kind === 'dir' && opts.prune?.(path)) skipBelow = sortKey
    }
  }

  async stat(path: RelPath): Promise<Entry | undefined> {
    const rel = await this.#begin('stat', path)
    const node = this.#store.nodes.get(this.#key(rel))
    return node ? this.#entry(rel, node, false) : undefined
  }

  async read(path: RelPath, range?: ReadRange, opts: ReadOptions = {}): Promise<Readable> {
    const rel = await this.#begin('read', path)
    const file = this.#file(rel, 'mem.read')
    this.#checkListed(rel, file, opts, 'mem.read')
    const start = Math.min(range?.offset ?? 0, file.data.length)
    const end = range?.length === undefined ? file.data.length : Math.min(start + range.length, file.data.length)
    // Buffers are never changed in place (a write installs a new one), so this view stays the old content.
    const data = file.data.subarray(start, end)
    return Readable.from(chunks(data), { objectMode: false })
  }

  async write(path: RelPath, body: Readable, meta: WriteMeta, opts: WriteOptions = {}): Promise<Entry> {
    let rel: RelPath
    try {
      rel = await this.#begin('write', path)
    } catch (err) {
      body.destroy()
      throw err
    }
    const data = await collect(body, rel, opts)
    // From here on everything is synchronous: the new content appears at once, as with a rename.
    const key = this.#key(rel)
    this.#checkReplace(rel, key, opts.expect, 'mem.write')
    const node: MemFile = {
      kind: 'file',
      data,
      mtimeMs: this.#mtime(meta.mtimeMs),
      mode: (meta.mode ?? 0o644) & 0o7777,
      version: this.#store.nextVersion(),
      uploadedMs: Date.now(),
      hashes: {},
    }
    this.#put(key, node)
    return this.#entry(rel, node, false)
  }

  async remove(path: RelPath): Promise<void> {
    const rel = await this.#begin('remove', path)
    const key = this.#key(rel)
    const node = this.#store.nodes.get(key)
    if (!node) return
    if (node.kind === 'dir' && node.children > 0) {
      throw new SyncError('CONFLICT', 'directory not empty', {
        op: 'mem.remove',
        path: rel,
        hint: 'Remove its contents first.',
      })
    }
    this.#delete(key)
  }

  async close(): Promise<void> {
    this.#closed = true
  }

  async rootExists(): Promise<boolean> {
    this.#open('rootExists')
    return this.#prefix === '' || this.#store.nodes.get(this.#prefix)?.kind === 'dir'
  }

  async move(from: RelPath, to: RelPath, opts: WriteOptions = {}): Promise<Entry> {
    const src = await this.#begin('move', from)
    const dst = toRelPath(to, 'mem.move destination')
    const srcKey = this.#key(src)
    const dstKey = this.#key(dst)
    const node = this.#store.nodes.get(srcKey)
    if (!node) throw notFound('mem.move', src)
    if (srcKey === dstKey) return this.#entry(dst, node, false)
    if (node.kind === 'dir') {
      if (dstKey.startsWith(`${srcKey}/`)) {
        throw new SyncError('CONFLICT', `cannot move a directory into itself (${dst})`, { op: 'mem.move', path: src })
      }
      if (this.#store.nodes.has(dstKey)) {
        throw new SyncError('CONFLICT', `destination ${dst} exists`, { op: 'mem.move', path: src })
      }
      this.#checkReplace(dst, dstKey, opts.expect, 'mem.move')
      const moved = [...this.#store.nodes].filter(([k]) => k.startsWith(`${srcKey}/`))
      for (const [k] of moved) this.#store.nodes.delete(k)
      this.#delete(srcKey)
      this.#put(dstKey, node)
      for (const [k, n] of moved) this.#store.nodes.set(dstKey + k.slice(srcKey.length), n)
      return this.#entry(dst, node, false)
    }
    this.#checkReplace(dst, dstKey, opts.expect, 'mem.move')
    // A rename changes the inode's ctime on POSIX: the moved entry gets a new version.
    const renamed = { ...node, version: this.#store.nextVersion() }
    this.#delete(srcKey)
    this.#put(dstKey, renamed)
    return this.#entry(dst, renamed, false)
  }

  async copy(from: RelPath, to: RelPath, opts: WriteOptions = {}): Promise<Entry> {
    const src = await this.#begin('copy', from)
    const dst = toRelPath(to, 'mem.copy destination')
    const file = this.#file(src, 'mem.copy')
    const key = this.#key(dst)
    this.#checkReplace(dst, key, opts.expect, 'mem.copy')
    const node: MemFile = { ...file, version: this.#store.nextVersion(), uploadedMs: Date.now() }
    this.#put(key, node)
    return this.#entry(dst, node, false)
  }

  async copyFrom(
    source: Backend,
    sourcePath: RelPath,
    path: RelPath,
    meta: WriteMeta,
    opts: WriteOptions = {},
  ): Promise<Entry | undefined> {
    if (!(source instanceof MemBackend)) return undefined
    const rel = await this.#begin('copyFrom', path)
    const srcRel = toRelPath(sourcePath, 'mem.copyFrom source')
    const file = source.#file(srcRel, 'mem.copyFrom')
    source.#checkListed(srcRel, file, opts.readOptions ?? {}, 'mem.copyFrom')
    const key = this.#key(rel)
    this.#checkReplace(rel, key, opts.expect, 'mem.copyFrom')
    const node: MemFile = {
      kind: 'file',
      data: file.data,
      mtimeMs: this.#mtime(meta.mtimeMs),
      mode: (meta.mode ?? file.mode) & 0o7777,
      version: this.#store.nextVersion(),
      uploadedMs: Date.now(),
      hashes: file.hashes,
    }
    this.#put(key, node)
    opts.onProgress?.(file.data.length)
    return this.#entry(rel, node, false)
  }

  /** Fails a read of `file` that is no longer the entry it is for (`ReadOptions.expect`). */
  #checkListed(rel: RelPath, file: MemFile, opts: ReadOptions, op: string): void {
    const expect = opts.expect
    if (expect === undefined) return
    const now = this.#entry(rel, file, false)
    if (!isListedFile(expect, now)) throw sourceChanged(op, rel, expect, now)
  }

  async hash(path: RelPath, algo: HashAlgo): Promise<string> {
    const rel = await this.#begin('hash', path)
    if (!this.capabilities.hashes.includes(algo)) {
      throw new SyncError('UNSUPPORTED', `hash ${algo} not offered`, { op: 'mem.hash', path: rel })
    }
    const file = this.#file(rel, 'mem.hash')
    file.hashes[algo] ??= createHash(algo).update(file.data).digest('hex')
    return file.hashes[algo]
  }

  async setMtime(path: RelPath, mtimeMs: number): Promise<Entry> {
    const rel = await this.#begin('setMtime', path)
    const key = this.#key(rel)
    const node = this.#store.nodes.get(key)
    if (!node) throw notFound('mem.setMtime', rel)
    const touched = { ...node, mtimeMs: this.#mtime(mtimeMs), version: this.#store.nextVersion() }
    this.#store.nodes.set(key, touched)
    return this.#entry(rel, touched, false)
  }

  async mkdir(path: RelPath, meta: Partial<WriteMeta> = {}): Promise<void> {
    const rel = await this.#begin('mkdir', path)
    const key = this.#key(rel)
    const existing = this.#store.nodes.get(key)
    if (existing && existing.kind !== 'dir') {
      throw new SyncError('CONFLICT', `a ${existing.kind} is in the way`, { op: 'mem.mkdir', path: rel })
    }
    this.#checkAncestors(rel, key, 'mem.mkdir')
    if (existing) {
      if (meta.mtimeMs === undefined && meta.mode === undefined) return
      this.#store.nodes.set(key, {
        ...existing,
        mtimeMs: meta.mtimeMs === undefined ? existing.mtimeMs : this.#mtime(meta.mtimeMs),
        mode: (meta.mode ?? existing.mode) & 0o7777,
        version: this.#store.nextVersion(),
      })
      return
    }
    this.#put(key, {
      kind: 'dir',
      mtimeMs: meta.mtimeMs === undefined ? Date.now() : this.#mtime(meta.mtimeMs),
      mode: (meta.mode ?? 0o755) & 0o7777,
      version: this.#store.nextVersion(),
      children: 0,
    })
  }

  async symlink(path: RelPath, linkTarget: string, opts: WriteOptions = {}): Promise<void> {
    const rel = await this.#begin('symlink', path)
    if (linkTarget === '' || linkTarget.includes('\0')) {
      throw new SyncError('INVALID_PATH', `invalid symlink target ${JSON.stringify(linkTarget)}`, {
        op: 'mem.symlink',
        path: rel,
      })
    }
    const key = this.#key(rel)
    this.#checkReplace(rel, key, opts.expect, 'mem.symlink')
    this.#put(key, { kind: 'symlink', linkTarget, mtimeMs: Date.now(), version: this.#store.nextVersion() })
  }

  /**
   * Test helper: stores a file under a name the contract forbids (`a\\b`, `../x`), bypassing all
   * checks, as a hostile or broken remote would list it. `list` must report it, never yield it.
   */
  plantUnsafe(path: string, content: string | Uint8Array = ''): void {
    const key = this.#prefix === '' ? path : `${this.#prefix}/${path}`
    this.#store.nodes.set(key, {
      kind: 'file',
      data: Buffer.from(content),
      mtimeMs: Date.now(),
      mode: 0o644,
      version: this.#store.nextVersion(),
      uploadedMs: Date.now(),
      hashes: {},
    })
  }

  #open(op: string): void {
    if (this.#closed) throw new SyncError('USAGE', 'backend is closed', { op: `mem.${op}`, path: this.uri })
  }

  /** Validates the path, then runs the injected fault, if any. */
  async #begin(op: MemOp, path: RelPath): Promise<RelPath> {
    this.#open(op)
    const rel = toRelPath(path, `mem.${op}`)
    const fault = await this.faults[op]?.(rel)
    if (fault) throw fault
    return rel
  }

  #key(rel: RelPath): string {
    return this.#prefix === '' ? rel : `${this.#prefix}/${rel}`
  }

  #mtime(ms: number): number {
    const p = this.capabilities.mtimePrecisionMs
    return p > 1 ? Math.floor(ms / p) * p : ms
  }

  #file(rel: RelPath, op: string): MemFile {
    const node = this.#store.nodes.get(this.#key(rel))
    if (!node) throw notFound(op, rel)
    if (node.kind !== 'file') throw new SyncError('CONFLICT', `not a file (a ${node.kind})`, { op, path: rel })
    return node
  }

  #entry(path: RelPath, node: MemNode, listing: boolean): Entry {
    const version = String(node.version)
    switch (node.kind) {
      case 'file': {
        const mtimeMs = listing && !this.capabilities.listMtime ? node.uploadedMs : node.mtimeMs
        return { path, kind: 'file', size: node.data.length, mtimeMs, mode: node.mode, version }
      }
      case 'dir':
        return { path, kind: 'dir', size: 0, mtimeMs: node.mtimeMs, mode: node.mode, version }
      case 'symlink':
        return {
          path,
          kind: 'symlink',
          size: Buffer.byteLength(node.linkTarget),
          mtimeMs: node.mtimeMs,
          linkTarget: node.linkTarget,
          version,
        }
    }
  }

  /** Every ancestor must be a directory (or missing): a write never goes through a file or a symlink. */
  #checkAncestors(rel: RelPath, key: string, op: string): void {
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
      const node = this.#store.nodes.get(key.slice(0, i))
      if (!node || node.kind === 'dir') continue
      if (node.kind === 'symlink') {
        throw new SyncError('INVALID_PATH', `parent ${key.slice(0, i)} is a symlink; writes never go through one`, {
          op,
          path: rel,
        })
      }
      throw new SyncError('CONFLICT', `parent ${key.slice(0, i)} is a file`, { op, path: rel })
    }
  }

  /** The checks before replacing `key` with a file or symlink: ancestors, no directory in the way, `expect`. */
  #checkReplace(rel: RelPath, key: string, expected: Entry | null | undefined, op: string): void {
    this.#checkAncestors(rel, key, op)
    const current = this.#store.nodes.get(key)
    // Replacing a directory by a file would orphan its contents (rename(2) refuses it too).
    if (current?.kind === 'dir') throw new SyncError('CONFLICT', 'a directory is in the way', { op, path: rel })
    const mismatch = expectMismatch(current ? this.#entry(rel, current, false) : undefined, expected)
    if (mismatch !== undefined) {
      throw new SyncError('CONFLICT', `destination ${mismatch} since it was planned; left untouched`, {
        op,
        path: rel,
        hint: 'Someone changed it meanwhile: run the sync again.',
      })
    }
  }

  /** Installs a node, creating missing parent directories and bumping the parent's mtime for a new name. */
  #put(key: string, node: MemNode): void {
    const existed = this.#store.nodes.has(key)
    this.#store.nodes.set(key, node)
    if (!existed) this.#linkToParent(key, 1)
  }

  #delete(key: string): void {
    if (this.#store.nodes.delete(key)) this.#linkToParent(key, -1)
  }

  #linkToParent(key: string, delta: 1 | -1): void {
    const i = key.lastIndexOf('/')
    if (i < 0) return
    const parentKey = key.slice(0, i)
    let parent = this.#store.nodes.get(parentKey)
    if (!parent) {
      parent = { kind: 'dir', mtimeMs: Date.now(), mode: 0o755, version: this.#store.nextVersion(), children: 0 }
      this.#put(parentKey, parent)
    }
    // Callers check ancestors first (`#checkAncestors`), so a non-directory here is a bug.
    if (parent.kind !== 'dir') throw new SyncError('UNKNOWN', `parent ${parentKey} is not a directory`)
    // POSIX: adding or removing a name changes the directory's mtime (and ctime, hence the version).
    const updated: MemDir = {
      ...parent,
      mtimeMs: Date.now(),
      version: this.#store.nextVersion(),
      children: parent.children + delta,
    }
    this.#store.nodes.set(parentKey, updated)
  }
}

function notFound(op: string, path: string): SyncError {
  return new SyncError('NOT_FOUND', 'no such file', { op, path })
}

function* chunks(data: Buffer): Generator<Buffer> {
  for (let i = 0; i < data.length; i += CHUNK) yield data.subarray(i, i + CHUNK)
}

/** Reads the whole body (honouring `signal`, reporting progress); on any failure the body is destroyed. */
async function collect(body: Readable, path: RelPath, opts: WriteOptions): Promise<Buffer> {
  const parts: Buffer[] = []
  let bytes = 0
  let reported = 0
  try {
    if (opts.signal) {
      opts.signal.throwIfAborted()
      addAbortSignal(opts.signal, body)
    }
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string | Uint8Array)
      parts.push(buf)
      bytes += buf.length
      if (opts.onProgress && bytes - reported >= PROGRESS_EVERY) {
        reported = bytes
        opts.onProgress(bytes)
      }
    }
    opts.signal?.throwIfAborted()
  } catch (err) {
    body.destroy()
    throw asSyncError(err, 'mem.write', path)
  }
  opts.onProgress?.(bytes)
  return Buffer.concat(parts, bytes)
}

/** Creates a MemBackend (see `MemBackendOptions`). */
export function createMemBackend(options: MemBackendOptions = {}): MemBackend {
  return new MemBackend(options)
}

/** Forgets a named store (its data is dropped once no backend uses it). Returns whether it existed. */
export function dropMemStore(name: string): boolean {
  return stores.delete(name)
}

/** Parses `mem://NAME` or `mem://NAME/sub/dir`. */
function parseMemUri(uri: string): { name: string; root?: string } {
  const m = /^mem:\/\/([^/]*)(?:\/(.*))?$/i.exec(uri)
  if (!m || m[1] === undefined || m[1] === '') {
    throw new SyncError('USAGE', `invalid mem location ${JSON.stringify(uri)}`, {
      hint: 'Write mem://NAME or mem://NAME/sub/dir (NAME selects an in-process store).',
    })
  }
  return { name: m[1], ...(m[2] !== undefined && m[2] !== '' ? { root: m[2] } : {}) }
}

/** The `mem://` plugin: in-process named stores, for tests and examples. Registers nothing at import. */
export const memBackend: BackendPlugin = {
  name: 'mem',
  schemes: ['mem'],
  open: async (uri) => createMemBackend(parseMemUri(uri)),
}
