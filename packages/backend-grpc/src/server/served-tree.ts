import type { Readable } from 'node:stream'
import type { DirectoryChain } from '@syncflow/backend-local'
import type { Backend, BaseFile, Entry, Fillable, ReadOptions, ReadRange, RelPath } from '@syncflow/core'

/**
 * What `syncflow serve` serves: a directory tree, seen through a Backend per client root, plus
 * the checks that keep every operation inside it. Paths named `full` are RelPaths from the served
 * root; a client root `sub` is `''` (the served root) or a RelPath below it.
 */
export interface ServedTree {
  /** The backend rooted at `sub` (cached). Throws `INVALID_PATH` when `sub` goes through a symlink. */
  backend(sub: string): Promise<Backend>
  /**
   * Throws `INVALID_PATH` when an existing directory on the way to `full` (not `full` itself) is a
   * symlink, so an operation on `full` would leave the tree.
   */
  checkParents(full: RelPath): Promise<void>
  /** The entry at `full` without following symlinks (after `checkParents`); `undefined` when missing. */
  lstat(full: RelPath): Promise<Entry | undefined>
  /**
   * The bytes of the regular file at `full` (or a range), opened without following any symlink,
   * final or on the way, and checked to be inside the tree after opening (no race).
   * `NOT_FOUND` when missing, `INVALID_PATH` for a symlink, `CONFLICT` for a directory.
   */
  readFile(full: RelPath, range?: ReadRange, opts?: ReadOptions): Promise<Readable & Fillable>
  /** Where the client root `sub` lies on this host's disk (see DirectoryChain); empty ids if unknown. */
  rootChain(sub: string): Promise<DirectoryChain>
  /**
   * The whole file (or its first `length` bytes), read as `readFile` reads it (`opts`), as chunks
   * that are valid only until the next one is asked for (two buffers, reused): for consumers that
   * digest each chunk at once (signatures, hashes).
   */
  scanFile(full: RelPath, opts?: ReadOptions, length?: number): AsyncIterable<Uint8Array>
  /**
   * The file at `full`, opened like `readFile`, for reads at any offset (the base of a patch:
   * one open for all its copy ops). The caller closes it.
   */
  openBase(full: RelPath): Promise<OpenBase>
  close(): Promise<void>
}

/** A file opened by `ServedTree.openBase`. */
export interface OpenBase extends BaseFile {
  close(): Promise<void>
}

/** The full path of `path` below client root `sub`. */
export function fullPath(sub: string, path: RelPath): RelPath {
  return (sub === '' ? path : `${sub}/${path}`) as RelPath
}
