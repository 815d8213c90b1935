// @ts-check
// A third-party backend written from the public docs alone (a review of the plugin API): `gzdir://DIR` keeps a
// tree in a directory, each file gzipped under its own name. Sizes come from the gzip trailer
// (ISIZE, so files under 4 GiB), the mtime and mode are the stored file's own.

import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { chmod, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, utimes } from 'node:fs/promises'
import path from 'node:path'
import { PassThrough, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import { asSyncError, compareUtf8, relPathProblem, SyncError, sourceChanged, toRelPath } from '@syncflow/core'

/**
 * @typedef {import('@syncflow/core').Backend} Backend
 * @typedef {import('@syncflow/core').BackendPlugin} BackendPlugin
 * @typedef {import('@syncflow/core').Capabilities} Capabilities
 * @typedef {import('@syncflow/core').Entry} Entry
 * @typedef {import('@syncflow/core').ListOptions} ListOptions
 * @typedef {import('@syncflow/core').ReadRange} ReadRange
 * @typedef {import('@syncflow/core').ReadOptions} ReadOptions
 * @typedef {import('@syncflow/core').RelPath} RelPath
 * @typedef {import('@syncflow/core').WriteMeta} WriteMeta
 * @typedef {import('@syncflow/core').WriteOptions} WriteOptions
 */

const TEMP_PREFIX = '.gzdir-tmp-'

/** @type {Capabilities} */
const CAPABILITIES = {
  hashes: ['sha256'],
  mtimePrecisionMs: 1,
  listMtime: true,
  emptyDirs: false,
  symlinks: false,
  permissions: true,
  caseSensitive: true,
  watch: 'none',
}

/** @param {unknown} err */
const codeOf = (err) => /** @type {{ code?: string }} */ (err)?.code

/**
 * @param {unknown} err
 * @param {string} op
 * @param {string} [p]
 */
function toSyncError(err, op, p) {
  const code = codeOf(err)
  if (code === 'ENOENT') return new SyncError('NOT_FOUND', 'no such file', { op, path: p, cause: err })
  if (code === 'EACCES' || code === 'EPERM')
    return new SyncError('PERMISSION', 'permission denied', { op, path: p, cause: err })
  if (code === 'ABORT_ERR' || /** @type {Error} */ (err)?.name === 'AbortError')
    return new SyncError('ABORTED', 'aborted', { op, path: p, cause: err })
  return asSyncError(err, op, p)
}

/**
 * @implements {Backend}
 */
export class GzdirBackend {
  capabilities = CAPABILITIES

  /** @param {{ root: string }} options */
  constructor(options) {
    this.root = path.resolve(options.root)
    this.uri = `gzdir://${this.root}`
  }

  /** @param {string} rel */
  #full(rel) {
    return rel === '' ? this.root : path.join(this.root, ...rel.split('/'))
  }

  /**
   * @param {RelPath} key
   * @param {import('node:fs').Stats} st
   * @param {string} full
   * @returns {Promise<Entry>}
   */
  async #entry(key, st, full) {
    return {
      path: key,
      kind: 'file',
      size: await uncompressedSize(full, st.size),
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
    }
  }

  /**
   * @param {ListOptions} [opts]
   * @returns {AsyncGenerator<Entry>}
   */
  async *list(opts = {}) {
    if (!(await this.rootExists())) return
    yield* this.#walk('', opts)
  }

  /**
   * @param {string} dir
   * @param {ListOptions} opts
   * @returns {AsyncGenerator<Entry>}
   */
  async *#walk(dir, opts) {
    /** @type {import('node:fs').Dirent[]} */
    let dirents
    try {
      dirents = await readdir(this.#full(dir), { withFileTypes: true })
    } catch (err) {
      const error = toSyncError(err, 'gzdir.list', dir || '.')
      if (codeOf(err) === 'EACCES' || codeOf(err) === 'EPERM') {
        if (!opts.onError) throw error
        opts.onError(error)
        return
      }
      throw error
    }
    const items = dirents
      .filter((d) => !d.name.startsWith(TEMP_PREFIX) && (d.isFile() || d.isDirectory()))
      .map((d) => ({ name: d.name, isDir: d.isDirectory(), key: d.isDirectory() ? `${d.name}/` : d.name }))
      .sort((a, b) => compareUtf8(a.key, b.key))
    for (const item of items) {
      if (opts.signal?.aborted) throw new SyncError('ABORTED', 'listing interrupted', { op: 'gzdir.list' })
      const rel = dir === '' ? item.name : `${dir}/${item.name}`
      const problem = relPathProblem(rel)
      if (problem !== undefined) {
        if (opts.excluded?.(rel)) continue
        const error = new SyncError('INVALID_PATH', `unsafe name skipped: ${problem}`, { op: 'gzdir.list', path: rel })
        if (!opts.onError) throw error
        opts.onError(error)
        continue
      }
      const key = /** @type {RelPath} */ (rel)
      if (item.isDir) {
        if (opts.prune?.(key)) continue
        yield* this.#walk(rel, opts)
      } else {
        const full = this.#full(rel)
        let st
        try {
          st = await lstat(full)
        } catch (err) {
          if (codeOf(err) === 'ENOENT') continue
          throw toSyncError(err, 'gzdir.list', rel)
        }
        yield await this.#entry(key, st, full)
      }
    }
  }

  /**
   * @param {RelPath} relPath
   * @returns {Promise<Entry | undefined>}
   */
  async stat(relPath) {
    const key = toRelPath(relPath, 'gzdir.stat')
    const full = this.#full(key)
    try {
      const st = await lstat(full)
      return st.isFile() ? await this.#entry(key, st, full) : undefined
    } catch (err) {
      if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') return undefined
      throw toSyncError(err, 'gzdir.stat', key)
    }
  }

  /**
   * @param {RelPath} relPath
   * @param {ReadRange} [range]
   * @param {ReadOptions} [opts]
   */
  async read(relPath, range, opts = {}) {
    const key = toRelPath(relPath, 'gzdir.read')
    const now = await this.stat(key)
    if (!now) throw new SyncError('NOT_FOUND', 'no such file', { op: 'gzdir.read', path: key })
    const listed = opts.expect
    if (listed && !opts.tolerateChanges && (listed.size !== now.size || listed.mtimeMs !== now.mtimeMs)) {
      throw sourceChanged('gzdir.read', key, listed, now)
    }
    const start = range?.offset ?? 0
    const end = range?.length === undefined ? Number.POSITIVE_INFINITY : start + range.length
    const out = new PassThrough()
    pipeline(createReadStream(this.#full(key)), createGunzip(), slice(start, end), out).catch((err) =>
      out.destroy(toSyncError(err, 'gzdir.read', key)),
    )
    return out
  }

  /**
   * @param {RelPath} relPath
   * @param {import('node:stream').Readable} body
   * @param {WriteMeta} meta
   * @param {WriteOptions} [opts]
   * @returns {Promise<Entry>}
   */
  async write(relPath, body, meta, opts = {}) {
    /** @type {RelPath} */
    let key
    try {
      key = toRelPath(relPath, 'gzdir.write')
      await this.#checkWay(key)
    } catch (err) {
      body.destroy()
      throw err
    }
    const full = this.#full(key)
    const temp = path.join(path.dirname(full), `${TEMP_PREFIX}${randomUUID()}`)
    let bytes = 0
    const counter = new Transform({
      transform(chunk, _enc, cb) {
        bytes += chunk.length
        opts.onProgress?.(bytes)
        cb(null, chunk)
      },
    })
    try {
      await mkdir(path.dirname(full), { recursive: true })
      await pipeline(body, counter, createGzip(), createWriteStream(temp), { signal: opts.signal })
      opts.onProgress?.(bytes)
      await chmod(temp, (meta.mode ?? 0o644) & 0o7777)
      await utimes(temp, new Date(meta.mtimeMs), new Date(meta.mtimeMs))
      if (opts.expect !== undefined) {
        const current = await this.stat(key)
        if (
          opts.expect === null
            ? current !== undefined
            : !current || current.size !== opts.expect.size || current.mtimeMs !== opts.expect.mtimeMs
        )
          throw new SyncError('CONFLICT', 'destination changed since it was planned; left untouched', {
            op: 'gzdir.write',
            path: key,
          })
      }
      await rename(temp, full)
    } catch (err) {
      body.destroy()
      await rm(temp, { force: true })
      throw toSyncError(err, 'gzdir.write', key)
    }
    const st = await lstat(full)
    return this.#entry(key, st, full)
  }

  /** A file where a parent directory should be, or a directory at the path, is CONFLICT. @param {RelPath} key */
  async #checkWay(key) {
    const parts = key.split('/')
    for (let i = 1; i < parts.length; i++) {
      const st = await lstat(this.#full(parts.slice(0, i).join('/'))).catch(() => undefined)
      if (!st) return
      if (!st.isDirectory())
        throw new SyncError('CONFLICT', `parent ${parts.slice(0, i).join('/')} is a file`, {
          op: 'gzdir.write',
          path: key,
        })
    }
    const st = await lstat(this.#full(key)).catch(() => undefined)
    if (st?.isDirectory())
      throw new SyncError('CONFLICT', 'a directory is in the way', { op: 'gzdir.write', path: key })
  }

  /** @param {RelPath} relPath */
  async remove(relPath) {
    const key = toRelPath(relPath, 'gzdir.remove')
    const full = this.#full(key)
    try {
      const st = await lstat(full)
      if (st.isDirectory()) await rmdir(full)
      else await rm(full, { force: true })
    } catch (err) {
      if (codeOf(err) === 'ENOENT' || codeOf(err) === 'ENOTDIR') return
      if (codeOf(err) === 'ENOTEMPTY')
        throw new SyncError('CONFLICT', 'directory not empty', { op: 'gzdir.remove', path: key })
      throw toSyncError(err, 'gzdir.remove', key)
    }
  }

  /**
   * @param {RelPath} relPath
   * @param {string} algo
   */
  async hash(relPath, algo) {
    const key = toRelPath(relPath, 'gzdir.hash')
    if (algo !== 'sha256') throw new SyncError('UNSUPPORTED', `no ${algo} hash`, { op: 'gzdir.hash', path: key })
    if (!(await this.stat(key))) throw new SyncError('NOT_FOUND', 'no such file', { op: 'gzdir.hash', path: key })
    const h = createHash('sha256')
    await pipeline(createReadStream(this.#full(key)), createGunzip(), h)
    return h.digest('hex')
  }

  async rootExists() {
    return stat(this.root).then(
      (st) => st.isDirectory(),
      () => false,
    )
  }

  async close() {}
}

/**
 * The uncompressed size, from the gzip trailer (ISIZE: the size modulo 2^32).
 * @param {string} full
 * @param {number} storedSize
 */
async function uncompressedSize(full, storedSize) {
  if (storedSize < 18) return 0
  const fh = await open(full, 'r')
  try {
    const buf = Buffer.alloc(4)
    await fh.read(buf, 0, 4, storedSize - 4)
    return buf.readUInt32LE(0)
  } finally {
    await fh.close()
  }
}

/**
 * Passes the bytes in [start, end) of the stream.
 * @param {number} start
 * @param {number} end
 */
function slice(start, end) {
  let pos = 0
  return new Transform({
    transform(chunk, _enc, cb) {
      const from = Math.max(0, start - pos)
      const to = Math.min(chunk.length, end - pos)
      pos += chunk.length
      cb(null, from < to ? chunk.subarray(from, to) : undefined)
    },
  })
}

/** @param {{ root: string }} options */
export function createGzdirBackend(options) {
  return new GzdirBackend(options)
}

/** @type {BackendPlugin} */
export const gzdirBackend = {
  name: 'gzdir',
  schemes: ['gzdir'],
  async open(uri) {
    const rest = uri.replace(/^gzdir:\/\//i, '')
    if (rest === '')
      throw new SyncError('USAGE', `no directory in ${JSON.stringify(uri)}`, { hint: 'Write gzdir:///path/to/dir.' })
    return createGzdirBackend({ root: rest })
  },
}

export default gzdirBackend
