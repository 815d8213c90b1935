import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SyncError, type SyncErrorCode } from '../errors/sync-error.js'
import type { Action } from '../model/action.js'

/** Bytes of spilled lines kept in memory before they are written out, and read back at once. */
const CHUNK_BYTES = 1024 * 1024

/**
 * Bytes set aside at most (about 3 M actions): past them `push` throws, and the run stops as it did
 * before actions were set aside (read-only keys and a first directory of 10 M files would otherwise
 * fill the temporary directory with gigabytes before the probe outside it is refused).
 */
export const SET_ASIDE_MAX_BYTES = 1024 * 1024 * 1024

/**
 * A first-in, first-out queue of actions kept in a temporary file, not in memory: what a run sets
 * aside while it looks further down its listing (see `runLanes` in transfer.ts: the actions below a
 * refused directory, while a probe from outside it is awaited). Memory holds one chunk each way,
 * however many are set aside. The file is unlinked as soon as it is open (where the system allows:
 * not Windows, where `close` removes it), so a killed run leaves nothing behind; it is made readable
 * by its owner alone, since it holds the tree's names. Synchronous I/O, a megabyte at a time: the
 * queue's order is the calls' order, and the listing is held meanwhile anyway.
 */
export class SpilledActions {
  #fd: number | undefined
  /** The file's path while it could not be unlinked at once (Windows), and its directory. */
  #path: string | undefined
  /** The file's path when it was made (for a message: it is unlinked at once). */
  #name: string | undefined
  #dir: string | undefined
  #count = 0
  #writeAt = 0
  #readAt = 0
  #pending: string[] = []
  #pendingBytes = 0
  #read: Action[] = []
  #head = 0
  /** The bytes of a line a read cut in two (a chunk ends inside it). */
  #partial: Buffer = Buffer.alloc(0)

  /** Actions set aside and not taken back yet. */
  get size(): number {
    return this.#count
  }

  /** @param maxBytes what the file may hold at most (see SET_ASIDE_MAX_BYTES). */
  constructor(readonly maxBytes = SET_ASIDE_MAX_BYTES) {}

  /**
   * Sets `action` aside, after those set aside before it. Throws when the temporary file cannot be
   * written (no space), or would hold more than `maxBytes`.
   */
  push(action: Action): void {
    const line = `${JSON.stringify(action)}\n`
    if (this.#writeAt - this.#readAt + this.#pendingBytes + Buffer.byteLength(line) > this.maxBytes)
      throw new Error(`more than ${this.maxBytes} bytes of actions set aside`)
    this.#pending.push(line)
    this.#pendingBytes += Buffer.byteLength(line)
    this.#count++
    if (this.#pendingBytes >= CHUNK_BYTES) this.#flush()
  }

  /**
   * The action set aside first, taken back; undefined when none is left. Throws a `SyncError` naming
   * the temporary file when it cannot be read back (an I/O error, a disk full while the last lines
   * were written out, a file cut short): the run stops with it, not as "a bug in syncflow".
   */
  shift(): Action | undefined {
    if (this.#count === 0) return undefined
    if (this.#head >= this.#read.length) {
      try {
        this.#fill()
      } catch (err) {
        throw this.#readBackError(err)
      }
    }
    // (Never counted down without one: an action set aside is started or the run fails, never lost.)
    if (this.#head >= this.#read.length) {
      throw this.#readBackError(new Error(`${this.#count} actions set aside were not read back (the file ends early)`))
    }
    const action = this.#read[this.#head]
    this.#read[this.#head++] = undefined as unknown as Action
    this.#count--
    if (this.#count === 0) this.#reset()
    return action
  }

  /** Closes and removes the temporary file; what is still set aside is dropped. */
  close(): void {
    this.#count = 0
    this.#reset()
    if (this.#fd !== undefined) closeSync(this.#fd)
    this.#fd = undefined
    if (this.#path !== undefined) unlinkSync(this.#path)
    if (this.#dir !== undefined) rmdirSync(this.#dir)
    this.#path = undefined
    this.#dir = undefined
  }

  /** Why the file could not be read back, as the run's error: which file, and what to do. */
  #readBackError(err: unknown): SyncError {
    const errno = (err as NodeJS.ErrnoException).code ?? ''
    const code: SyncErrorCode = ['ENOSPC', 'EDQUOT', 'EFBIG'].includes(errno)
      ? 'NO_SPACE'
      : ['EACCES', 'EPERM'].includes(errno)
        ? 'PERMISSION'
        : 'TRANSIENT'
    const file = this.#name ?? join(tmpdir(), 'syncflow-set-aside-*', 'actions.ndjson')
    return new SyncError(
      code,
      `${this.#count} actions set aside in the temporary file ${file} could not be read back: ${(err as Error).message}`,
      {
        op: 'transfer.setAside',
        path: file,
        cause: err,
        hint: 'It held what waited below a refused directory while the run went on elsewhere, in the temporary directory (TMPDIR, else /tmp). Check that file system (free space; dmesg for I/O errors), or set TMPDIR to a directory on another one, then run again: what was set aside is tried then, and nothing was deleted.',
      },
    )
  }

  /** Writes out the lines kept in memory. */
  #flush(): void {
    if (this.#pending.length === 0) return
    const bytes = Buffer.from(this.#pending.join(''))
    this.#pending = []
    this.#pendingBytes = 0
    const fd = this.#open()
    let at = 0
    while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at, this.#writeAt + at)
    this.#writeAt += bytes.length
  }

  /** Reads the next chunk of lines back (what is still in memory is written out first, to keep the order). */
  #fill(): void {
    this.#read = []
    this.#head = 0
    if (this.#readAt === this.#writeAt && this.#pending.length > 0) {
      // Nothing unread in the file: the lines in memory are next, taken back without a round trip
      // through it (review 35: written out first, they needed a temporary directory that a
      // run setting aside less than a chunk never needs; one that cannot be written failed the run).
      for (const line of this.#pending) this.#read.push(JSON.parse(line) as Action)
      this.#pending = []
      this.#pendingBytes = 0
      return
    }
    this.#flush()
    const fd = this.#open()
    while (this.#read.length === 0 && this.#readAt < this.#writeAt) {
      const chunk = Buffer.alloc(Math.min(CHUNK_BYTES, this.#writeAt - this.#readAt))
      const n = readSync(fd, chunk, 0, chunk.length, this.#readAt)
      this.#readAt += n
      const bytes =
        this.#partial.length > 0 ? Buffer.concat([this.#partial, chunk.subarray(0, n)]) : chunk.subarray(0, n)
      const end = bytes.lastIndexOf(0x0a)
      this.#partial = Buffer.from(bytes.subarray(end + 1))
      if (end < 0) continue
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n'))
        this.#read.push(JSON.parse(line) as Action)
    }
  }

  /** Nothing set aside any more: the file is written from its start again. */
  #reset(): void {
    this.#pending = []
    this.#pendingBytes = 0
    this.#read = []
    this.#head = 0
    this.#partial = Buffer.alloc(0)
    if (this.#fd !== undefined && this.#writeAt > 0) ftruncateSync(this.#fd, 0)
    this.#writeAt = 0
    this.#readAt = 0
  }

  #open(): number {
    if (this.#fd !== undefined) return this.#fd
    const dir = mkdtempSync(join(tmpdir(), 'syncflow-set-aside-'))
    const path = join(dir, 'actions.ndjson')
    this.#fd = openSync(path, 'w+', 0o600)
    this.#name = path
    try {
      unlinkSync(path)
    } catch {
      // (Windows: an open file cannot be unlinked; `close` removes it.)
      this.#path = path
    }
    try {
      rmdirSync(dir)
    } catch {
      this.#dir = dir
    }
    return this.#fd
  }
}
