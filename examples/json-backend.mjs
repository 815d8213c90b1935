// @ts-check
// A small third-party backend: a whole tree kept in one JSON file (`json://PATH.json`), the way a
// package named `syncflow-backend-json` would ship it. It shows what a plugin author writes:
//
// - a class implementing the required `Backend` members (list, stat, read, write, remove, close,
//   rootExists) plus one optional feature (`hash`, announced in `capabilities.hashes`);
// - a `createJsonBackend(options)` factory;
// - a plain plugin object `{ name, schemes, open }` that registers nothing at import time.
//
// It keeps every file in memory, so it is meant for small trees (fixtures, snapshots, demos).
// `examples/test/json-backend.test.ts` runs the `@syncflow/core/testkit` conformance suite on it.

import { createHash, randomUUID } from 'node:crypto'
import { access, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { addAbortSignal, Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { asSyncError, compareUtf8, relPathProblem, SyncError, sourceChanged, toRelPath } from '@syncflow/core'

/**
 * @typedef {import('@syncflow/core').Backend} Backend
 * @typedef {import('@syncflow/core').Hashable} Hashable
 * @typedef {import('@syncflow/core').BackendPlugin} BackendPlugin
 * @typedef {import('@syncflow/core').Capabilities} Capabilities
 * @typedef {import('@syncflow/core').Entry} Entry
 * @typedef {import('@syncflow/core').ListOptions} ListOptions
 * @typedef {import('@syncflow/core').ReadRange} ReadRange
 * @typedef {import('@syncflow/core').ReadOptions} ReadOptions
 * @typedef {import('@syncflow/core').RelPath} RelPath
 * @typedef {import('@syncflow/core').WriteMeta} WriteMeta
 * @typedef {import('@syncflow/core').WriteOptions} WriteOptions
 * @typedef {{ data: Buffer, mtimeMs: number, mode: number, version: number }} JsonFile
 * @typedef {{ mtimeMs: number, mode?: number, version?: number, base64: string }} StoredFile
 * @typedef {{ files: Map<string, JsonFile>, unsafe: Map<string, StoredFile>, nextVersion: number }} Tree
 */

/** The JSON file's format version (written as `"format"`). */
const FORMAT = 1
const HINT = 'Point json:// at a file written by this backend.'

/** What this backend offers (read by the engine to pick a strategy). @type {Capabilities} */
const CAPABILITIES = {
  hashes: ['sha256'],
  mtimePrecisionMs: 1,
  listMtime: true,
  // Directories are implied by file paths, as in S3: none are listed, none can be empty.
  emptyDirs: false,
  symlinks: false,
  permissions: true,
  caseSensitive: true,
  watch: 'none',
}

/**
 * A tree stored in one JSON file: `{ "format": 1, "nextVersion", "files": { "<path>": { "mtimeMs",
 * "mode", "version", "base64" } } }`. The file is the truth: every call reads it, and every change
 * rewrites it atomically (temp file + rename), one change at a time.
 * @implements {Backend}
 * @implements {Hashable}
 */
export class JsonBackend {
  /** @readonly */
  capabilities = CAPABILITIES
  // Changes run one after another (read, modify, write), so none is lost.
  /** @type {Promise<unknown>} */
  #changes = Promise.resolve()
  #closed = false

  /** @param {{ file: string }} options the JSON file (created on the first write) */
  constructor(options) {
    this.file = path.resolve(options.file)
    this.uri = `json://${this.file}`
  }

  /**
   * Every file, in UTF-8 byte order of its path (what `diff` merge-joins on). A stored name that
   * is not a safe RelPath is reported to `onError` (thrown without one), never listed.
   * @param {ListOptions} [opts]
   * @returns {AsyncGenerator<Entry>}
   */
  async *list(opts = {}) {
    const tree = await this.#read('list')
    /** @type {Map<string, boolean>} */
    const pruned = new Map()
    for (const key of [...tree.files.keys(), ...tree.unsafe.keys()].sort(compareUtf8)) {
      if (opts.signal?.aborted) throw new SyncError('ABORTED', 'listing interrupted', { op: 'json.list' })
      const file = tree.files.get(key)
      if (!file) {
        // Excluded by the user's filters: skipped without a word (it could not be synced anyway).
        if (opts.excluded?.(key)) continue
        const error = new SyncError('INVALID_PATH', `unsafe name skipped: ${relPathProblem(key)}`, {
          op: 'json.list',
          path: key,
          hint: 'Fix the name in the JSON file.',
        })
        if (!opts.onError) throw error
        opts.onError(error)
        continue
      }
      if (opts.prune && isBelowPruned(key, opts.prune, pruned)) continue
      yield entryOf(/** @type {RelPath} */ (key), file)
    }
  }

  /**
   * @param {RelPath} relPath
   * @returns {Promise<Entry | undefined>}
   */
  async stat(relPath) {
    const key = toRelPath(relPath, 'json.stat')
    const file = (await this.#read('stat')).files.get(key)
    return file ? entryOf(key, file) : undefined
  }

  /**
   * With `opts.expect` (the entry the engine listed), a file replaced since is `CONFLICT`
   * (`sourceChanged`), never its new bytes under the old entry; `tolerateChanges` reads it anyway.
   * @param {RelPath} relPath
   * @param {ReadRange} [range]
   * @param {ReadOptions} [opts]
   * @returns {Promise<Readable>}
   */
  async read(relPath, range, opts = {}) {
    const key = toRelPath(relPath, 'json.read')
    const file = (await this.#read('read')).files.get(key)
    if (!file) throw new SyncError('NOT_FOUND', 'no such file', { op: 'json.read', path: key })
    const listed = opts.expect
    if (listed && !opts.tolerateChanges && listed.version !== undefined && listed.version !== String(file.version)) {
      throw sourceChanged('json.read', key, listed, entryOf(key, file))
    }
    const start = Math.min(range?.offset ?? 0, file.data.length)
    const end = range?.length === undefined ? file.data.length : Math.min(start + range.length, file.data.length)
    return Readable.from([file.data.subarray(start, end)], { objectMode: false })
  }

  /**
   * Reads the whole body first, then installs it with one atomic rewrite of the JSON file: a
   * reader sees the old content or the new, never a part.
   * @param {RelPath} relPath
   * @param {Readable} body
   * @param {WriteMeta} meta
   * @param {WriteOptions} [opts]
   * @returns {Promise<Entry>}
   */
  async write(relPath, body, meta, opts = {}) {
    /** @type {RelPath} */
    let key
    try {
      key = toRelPath(relPath, 'json.write')
      this.#open('write')
    } catch (err) {
      body.destroy()
      throw err
    }
    const data = await collect(body, key, opts)
    return this.#change('write', (tree) => {
      checkReplace(tree.files, key, opts.expect)
      /** @type {JsonFile} */
      const file = { data, mtimeMs: meta.mtimeMs, mode: (meta.mode ?? 0o644) & 0o7777, version: tree.nextVersion++ }
      tree.files.set(key, file)
      return entryOf(key, file)
    })
  }

  /**
   * Idempotent: a missing path is not an error.
   * @param {RelPath} relPath
   * @returns {Promise<void>}
   */
  async remove(relPath) {
    const key = toRelPath(relPath, 'json.remove')
    await this.#change('remove', (tree) => {
      tree.files.delete(key)
    })
  }

  /**
   * sha256 of a file's content (the optional `Hashable` feature, used by `--checksum`).
   * @param {RelPath} relPath
   * @param {string} algo
   * @returns {Promise<string>}
   */
  async hash(relPath, algo) {
    const key = toRelPath(relPath, 'json.hash')
    if (algo !== 'sha256') throw new SyncError('UNSUPPORTED', `no ${algo} hash`, { op: 'json.hash', path: key })
    const file = (await this.#read('hash')).files.get(key)
    if (!file) throw new SyncError('NOT_FOUND', 'no such file', { op: 'json.hash', path: key })
    return createHash('sha256').update(file.data).digest('hex')
  }

  /** True once the JSON file exists. */
  async rootExists() {
    return access(this.file).then(
      () => true,
      () => false,
    )
  }

  /** Waits for the last change; the backend is unusable afterwards. */
  async close() {
    this.#closed = true
    await this.#changes.catch(() => {})
  }

  /** @param {string} op */
  #open(op) {
    if (this.#closed) throw new SyncError('USAGE', 'backend is closed', { op: `json.${op}`, path: this.uri })
  }

  /**
   * @param {string} op
   * @returns {Promise<Tree>}
   */
  async #read(op) {
    this.#open(op)
    return readTree(this.file)
  }

  /**
   * Runs `fn` on the current tree and saves the tree if `fn` returns without throwing.
   * @template T
   * @param {string} op
   * @param {(tree: Tree) => T} fn
   * @returns {Promise<T>}
   */
  #change(op, fn) {
    this.#open(op)
    const run = this.#changes.then(async () => {
      const tree = await readTree(this.file)
      const result = fn(tree)
      await writeTree(this.file, tree)
      return result
    })
    this.#changes = run.catch(() => {})
    return run
  }
}

/**
 * The checks before a file is installed at `key`: nothing in the way, and the `expect` re-check.
 * @param {Map<string, JsonFile>} files
 * @param {RelPath} key
 * @param {Entry | null | undefined} expected
 */
function checkReplace(files, key, expected) {
  const conflict = (/** @type {string} */ why) =>
    new SyncError('CONFLICT', why, { op: 'json.write', path: key, hint: 'Run the sync again.' })
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
    if (files.has(key.slice(0, i))) throw conflict(`parent ${key.slice(0, i)} is a file`)
  }
  // A linear scan: fine for the small trees this backend is for.
  const below = `${key}/`
  for (const k of files.keys()) if (k.startsWith(below)) throw conflict('a directory is in the way')
  if (expected === undefined) return
  const current = files.get(key)
  if (expected === null) {
    if (current) throw conflict('destination appeared since it was planned; left untouched')
    return
  }
  const same =
    current !== undefined &&
    (expected.version !== undefined
      ? expected.version === String(current.version)
      : expected.size === current.data.length && expected.mtimeMs === current.mtimeMs)
  if (!same) throw conflict('destination changed since it was planned; left untouched')
}

/**
 * True when `key` lies below a directory that `prune` excludes; asks for each directory once,
 * from the top, and never below a pruned one.
 * @param {string} key
 * @param {(dir: RelPath) => boolean} prune
 * @param {Map<string, boolean>} seen
 */
function isBelowPruned(key, prune, seen) {
  for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) {
    const dir = key.slice(0, i)
    let verdict = seen.get(dir)
    if (verdict === undefined) {
      verdict = prune(/** @type {RelPath} */ (dir))
      seen.set(dir, verdict)
    }
    if (verdict) return true
  }
  return false
}

/**
 * @param {RelPath} key
 * @param {JsonFile} file
 * @returns {Entry}
 */
function entryOf(key, file) {
  return {
    path: key,
    kind: 'file',
    size: file.data.length,
    mtimeMs: file.mtimeMs,
    mode: file.mode,
    version: String(file.version),
  }
}

/**
 * Reads a whole body, honouring `signal` and reporting progress; on failure the body is destroyed.
 * @param {Readable} body
 * @param {RelPath} key
 * @param {WriteOptions} opts
 * @returns {Promise<Buffer>}
 */
async function collect(body, key, opts) {
  /** @type {Buffer[]} */
  const parts = []
  let bytes = 0
  try {
    if (opts.signal) {
      opts.signal.throwIfAborted()
      addAbortSignal(opts.signal, body)
    }
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
      parts.push(buf)
      bytes += buf.length
      opts.onProgress?.(bytes)
    }
    opts.signal?.throwIfAborted()
  } catch (err) {
    body.destroy()
    throw asSyncError(err, 'json.write', key)
  }
  opts.onProgress?.(bytes)
  return Buffer.concat(parts, bytes)
}

/**
 * Reads the JSON file (a missing file is an empty tree). Names are input like any listing: an
 * unsafe one is kept aside (and written back unchanged), never used as a path.
 * @param {string} file
 * @returns {Promise<Tree>}
 */
async function readTree(file) {
  /** @type {string} */
  let text
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if (/** @type {{ code?: string }} */ (err).code === 'ENOENT')
      return { files: new Map(), unsafe: new Map(), nextVersion: 1 }
    throw new SyncError('PERMISSION', `cannot read ${file}`, { op: 'json.load', path: file, cause: err })
  }
  /** @type {{ format?: number, nextVersion?: number, files?: Record<string, StoredFile> }} */
  let doc
  try {
    doc = JSON.parse(text)
  } catch (err) {
    throw new SyncError('USAGE', `${file} is not JSON`, { op: 'json.load', path: file, cause: err, hint: HINT })
  }
  if (doc.format !== FORMAT || typeof doc.files !== 'object' || doc.files === null) {
    throw new SyncError('USAGE', `${file} is not a json:// tree (format ${FORMAT})`, {
      op: 'json.load',
      path: file,
      hint: HINT,
    })
  }
  /** @type {Tree} */
  // Versions are never reused (a stale `expect` must not match a file written again later).
  const tree = { files: new Map(), unsafe: new Map(), nextVersion: doc.nextVersion ?? 1 }
  for (const [key, f] of Object.entries(doc.files)) {
    tree.nextVersion = Math.max(tree.nextVersion, (f.version ?? 0) + 1)
    if (relPathProblem(key) !== undefined) {
      tree.unsafe.set(key, f)
      continue
    }
    tree.files.set(key, {
      data: Buffer.from(f.base64, 'base64'),
      mtimeMs: f.mtimeMs,
      mode: f.mode ?? 0o644,
      version: f.version ?? 0,
    })
  }
  return tree
}

/**
 * Writes the tree to a temp file beside the JSON file, then renames it over (atomic on POSIX).
 * @param {string} file
 * @param {Tree} tree
 */
async function writeTree(file, tree) {
  /** @type {Record<string, StoredFile>} */
  const out = {}
  for (const key of [...tree.files.keys()].sort(compareUtf8)) {
    const f = /** @type {JsonFile} */ (tree.files.get(key))
    out[key] = { mtimeMs: f.mtimeMs, mode: f.mode, version: f.version, base64: f.data.toString('base64') }
  }
  for (const [key, f] of tree.unsafe) out[key] = f
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`
  try {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(temp, `${JSON.stringify({ format: FORMAT, nextVersion: tree.nextVersion, files: out }, null, 1)}\n`)
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw new SyncError('PERMISSION', `cannot write ${file}`, { op: 'json.save', path: file, cause: err })
  }
}

/**
 * Creates a backend over one JSON file.
 * @param {{ file: string }} options
 */
export function createJsonBackend(options) {
  return new JsonBackend(options)
}

/**
 * The plugin object: `json://relative/file.json`, `json:///absolute/file.json`, or
 * `json://file:///…` are all accepted. Registers nothing at import time.
 * @type {BackendPlugin}
 */
export const jsonBackend = {
  name: 'json',
  schemes: ['json'],
  async open(uri) {
    const rest = uri.replace(/^json:\/\//i, '')
    if (rest === '') {
      throw new SyncError('USAGE', `no file in ${JSON.stringify(uri)}`, { hint: 'Write json://path/to/tree.json.' })
    }
    return createJsonBackend({ file: rest.startsWith('file://') ? fileURLToPath(rest) : rest })
  },
}
