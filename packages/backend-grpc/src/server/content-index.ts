import { createHash } from 'node:crypto'
import type { Entry, RelPath } from '@syncflow/core'
import type { ServedTree } from './served-tree.js'

/** Files smaller than this are not worth a lookup: uploading them costs less than hashing. */
export const CONTENT_INDEX_MIN_SIZE = 1 << 20

/** Options of `ContentIndex`. */
export interface ContentIndexOptions {
  /** Smallest file indexed. [1 MiB] */
  readonly minSize?: number
  /** A listing older than this is redone at the next query. [5 min] */
  readonly maxAgeMs?: number
  /** Most candidate files hashed for one query (same size, hash unknown). [8] */
  readonly maxHashesPerQuery?: number
  /** A miss relists the tree when the listing is at least this old. [1 s, or 50 × the last listing's duration] */
  readonly refreshAfterMs?: number
}

interface Known {
  readonly size: number
  readonly mtimeMs: number
  readonly version: string | undefined
  /** Lowercase hex, once computed (lazily: only for files whose size someone asked about). */
  readonly sha256?: string
}

/**
 * Which files the server holds, by size and (lazily) sha256, so a client about to upload a file
 * whose bytes are already somewhere under the served root (a copy, a rename) gets a local copy
 * instead. Built from a listing on first use, again when older than `maxAgeMs` and on a miss
 * (at most every second, or less often for trees that take long to list); the server's own writes, moves and removes keep it current in between. A candidate is re-checked (stat,
 * and re-hashed if changed) before it is used, so a stale index never yields wrong bytes.
 */
export class ContentIndex {
  private files = new Map<string, Known>()
  private bySize = new Map<number, Set<string>>()
  /**
   * How many indexed files each directory holds at any depth. forget() of a path that is not an
   * indexed file looked for files below it in every key: each remove of a small file (a mirror
   * deleting 5,000) scanned the whole index, 12 ms a call on a server of 100,000 files over 1 MiB,
   * ten times the cost of the remove itself (QA 29m). A directory absent here has none below it.
   */
  private dirs = new Map<string, number>()
  private builtAt = Number.NEGATIVE_INFINITY
  private listingMs = 0
  private building: Promise<void> | undefined
  private readonly minSize: number
  private readonly maxAgeMs: number
  private readonly maxHashes: number
  private readonly refreshMs: number | undefined

  constructor(
    private readonly tree: ServedTree,
    opts: ContentIndexOptions = {},
  ) {
    this.minSize = opts.minSize ?? CONTENT_INDEX_MIN_SIZE
    this.maxAgeMs = opts.maxAgeMs ?? 5 * 60_000
    this.maxHashes = opts.maxHashesPerQuery ?? 8
    this.refreshMs = opts.refreshAfterMs
  }

  /**
   * True when some file of this size may be under the root (no hashing). On a miss, a listing
   * older than `refreshAfterMs` is redone first: files put there by other means since (not
   * through this server) are found too.
   */
  async hasSize(size: number): Promise<boolean> {
    if (size < this.minSize) return false
    await this.fresh()
    if ((this.bySize.get(size)?.size ?? 0) > 0) return true
    if (Date.now() - this.builtAt >= this.refreshAfterMs()) {
      this.builtAt = Number.NEGATIVE_INFINITY
      await this.fresh()
    }
    return (this.bySize.get(size)?.size ?? 0) > 0
  }

  /** How soon a miss may relist: `refreshAfterMs` if given, else 1 s or 50 × the last listing's duration. */
  private refreshAfterMs(): number {
    return this.refreshMs ?? Math.max(1_000, 50 * this.listingMs)
  }

  /**
   * A file under the root whose bytes have this sha256, checked current; `undefined` if none. When
   * none is found, a listing older than `refreshAfterMs` is redone and the search tried once more.
   */
  async find(size: number, sha256: string): Promise<RelPath | undefined> {
    if (size < this.minSize) return undefined
    await this.fresh()
    const found = await this.search(size, sha256)
    if (found !== undefined || Date.now() - this.builtAt < this.refreshAfterMs()) return found
    this.builtAt = Number.NEGATIVE_INFINITY
    await this.fresh()
    return this.search(size, sha256)
  }

  private async search(size: number, sha256: string): Promise<RelPath | undefined> {
    const paths = [...(this.bySize.get(size) ?? [])]
    // Files already known to match first, then unknown ones (hashed, up to the limit).
    paths.sort((a, b) => rank(this.files.get(a), sha256) - rank(this.files.get(b), sha256))
    let hashed = 0
    for (const path of paths) {
      const known = this.files.get(path)
      if (known === undefined) continue
      const now = await this.current(path as RelPath)
      if (now === undefined || now.size !== size) {
        this.forget(path)
        continue
      }
      let digest = known.sha256
      if (digest === undefined || known.mtimeMs !== now.mtimeMs || known.version !== now.version) {
        if (hashed++ >= this.maxHashes) continue
        digest = await this.hashOf(path as RelPath).catch(() => undefined)
        if (digest === undefined) continue
        this.record(path, now, digest)
      }
      if (digest === sha256) return path as RelPath
    }
    return undefined
  }

  /** Notes a file the server just wrote (with its sha256 when known). */
  record(path: string, entry: Entry, sha256?: string): void {
    // Only the path's own entry: forget() of a path not indexed scans every key for one below it,
    // so the rebuild (one record per listed file) was quadratic, and a server of 100,000 files
    // over 1 MiB stopped answering for minutes after an upload (QA 29m). A file written where
    // indexed files were below (a directory removed first) had them forgotten by that remove,
    // and an entry left stale is re-checked before use anyway.
    this.dropFile(path)
    if (entry.kind !== 'file' || entry.size < this.minSize) return
    this.countIn(path, 1)
    this.files.set(path, {
      size: entry.size,
      mtimeMs: entry.mtimeMs,
      version: entry.version,
      ...(sha256 !== undefined ? { sha256 } : {}),
    })
    const set = this.bySize.get(entry.size) ?? new Set<string>()
    set.add(path)
    this.bySize.set(entry.size, set)
  }

  /** Forgets `path` and everything below it (a removed file or directory). */
  forget(path: string): void {
    for (const p of this.files.has(path) ? [path] : this.below(path)) this.dropFile(p)
  }

  /** Forgets the file `path` alone, if indexed. */
  private dropFile(path: string): void {
    const known = this.files.get(path)
    if (known === undefined) return
    this.files.delete(path)
    this.countIn(path, -1)
    const set = this.bySize.get(known.size)
    set?.delete(path)
    if (set?.size === 0) this.bySize.delete(known.size)
  }

  /** Adds `by` to the count of each directory above the file `path`. */
  private countIn(path: string, by: 1 | -1): void {
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const dir = path.slice(0, i)
      const n = (this.dirs.get(dir) ?? 0) + by
      if (n > 0) this.dirs.set(dir, n)
      else this.dirs.delete(dir)
    }
  }

  /** Follows a move of a file or directory. */
  moved(from: string, to: string): void {
    const moves = this.files.has(from) ? [from] : this.below(from)
    for (const p of moves) {
      const known = this.files.get(p)!
      this.forget(p)
      const dest = to + p.slice(from.length)
      this.record(dest, { path: dest as RelPath, kind: 'file', ...known }, known.sha256)
    }
  }

  private below(dir: string): string[] {
    const prefix = `${dir}/`
    if (!this.dirs.has(dir)) return []
    return [...this.files.keys()].filter((p) => p.startsWith(prefix))
  }

  private async current(path: RelPath): Promise<Entry | undefined> {
    try {
      await this.tree.checkParents(path)
      const e = await this.tree.lstat(path)
      return e?.kind === 'file' ? e : undefined
    } catch {
      return undefined
    }
  }

  private async hashOf(path: RelPath): Promise<string> {
    const h = createHash('sha256')
    for await (const chunk of this.tree.scanFile(path)) h.update(chunk)
    return h.digest('hex')
  }

  private fresh(): Promise<void> {
    if (Date.now() - this.builtAt < this.maxAgeMs) return Promise.resolve()
    this.building ??= this.rebuild().finally(() => {
      this.building = undefined
    })
    return this.building
  }

  private async rebuild(): Promise<void> {
    const started = Date.now()
    const old = this.files
    this.files = new Map()
    this.bySize = new Map()
    this.dirs = new Map()
    const root = await this.tree.backend('')
    // Errors (unreadable parts) just leave those files out of the index.
    for await (const e of root.list({ onError: () => {} })) {
      if (e.kind !== 'file' || e.size < this.minSize) continue
      const before = old.get(e.path)
      const same = before && before.size === e.size && before.mtimeMs === e.mtimeMs && before.version === e.version
      this.record(e.path, e, same ? before.sha256 : undefined)
    }
    this.builtAt = Date.now()
    this.listingMs = this.builtAt - started
  }
}

function rank(known: Known | undefined, sha256: string): number {
  return known?.sha256 === sha256 ? 0 : known?.sha256 === undefined ? 1 : 2
}
