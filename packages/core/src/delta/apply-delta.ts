import { createHash, type Hash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { DeltaOp, ReadRange } from '../backend/backend.js'
import { SyncError } from '../errors/sync-error.js'
import { FILL, type Fillable, fillableOf, withFill } from './fillable.js'
import { createWholeFileHasher, type WholeFileHasher } from './whole-file-hash.js'

/** Random access to the base (old) file: the bytes of `range`, e.g. `(r) => backend.read(path, r)`. */
export type BaseReader = (range: ReadRange) => Promise<AsyncIterable<Uint8Array>>

/**
 * The base (old) file, open once for the whole patch: `readAt` reads into `buf[offset, offset +
 * length)` from `position` of the file and resolves with the count (short or 0 only at its end).
 * Cheaper than a `BaseReader`, which opens the file again for every copy op.
 */
export interface BaseFile {
  readAt(buf: Uint8Array, offset: number, length: number, position: number): Promise<number>
}

/** Options of `applyDelta`. */
export interface ApplyDeltaOptions {
  /**
   * A sha256 (hex) the result must also have, e.g. `WriteMeta.hashes.sha256`; costs a sha256 pass
   * (the `end` op's XXH3-128 is always checked).
   */
  readonly sha256?: string
  /** Where the error message says the delta was for. */
  readonly path?: string
  readonly signal?: AbortSignal
}

/** Bytes per chunk when the result is read as a stream. */
const CHUNK = 1024 * 1024

/**
 * The new file as a stream of Buffers: base ranges for `copy` ops, the data of `literal` ops. It
 * fails with `CHECKSUM` instead of ending when the result's length or XXH3-128 differs from the
 * `end` op (or the op stream has none), so an atomic `write` of it never commits a bad file.
 *
 * The stream is `Fillable`: a writer that owns its buffers (LocalBackend's) has the base bytes
 * read straight into them, without a fresh buffer per chunk. The caller closes a `BaseFile` once
 * the stream is done with.
 */
export function applyDelta(
  base: BaseReader | BaseFile,
  blockSize: number,
  ops: AsyncIterable<DeltaOp>,
  opts: ApplyDeltaOptions = {},
): Readable & Fillable {
  const patcher = new Patcher(base, blockSize, ops[Symbol.asyncIterator](), opts)
  let mode: 'stream' | 'fill' | undefined
  // Object mode, two chunks ahead: each chunk is handed on as it is. In byte mode a consumer that
  // reads whatever is buffered gets it concatenated into a fresh buffer: a second copy of the
  // whole file, and garbage.
  const stream = new Readable({
    objectMode: true,
    highWaterMark: 2,
    read() {
      mode ??= 'stream'
      const buf = Buffer.allocUnsafe(CHUNK)
      patcher.fill(buf, 0, CHUNK, false).then(
        (n) => this.push(n === 0 ? null : buf.subarray(0, n)),
        (err: unknown) => this.destroy(err as Error),
      )
    },
    destroy(err, cb) {
      patcher.close().then(
        () => cb(err),
        () => cb(err),
      )
    },
  })
  return withFill(stream, (buf, offset, length) => {
    mode ??= 'fill'
    if (mode !== 'fill') {
      return Promise.reject(
        new SyncError('UNKNOWN', 'a patched stream was both read and filled', { op: 'delta.apply' }),
      )
    }
    return patcher.fill(buf, offset, length, true)
  })
}

/** Where the bytes come from right now. */
type Piece =
  /** Literal data, or a chunk of a base range stream (`rest`: the rest of that stream). */
  | { kind: 'bytes'; data: Uint8Array; at: number; rest?: AsyncIterator<Uint8Array> | undefined }
  /** A copy op's range of a `BaseFile`. */
  | { kind: 'file'; pos: number; end: number }
  /** A copy op's range as a `Fillable` stream. */
  | { kind: 'fill'; stream: Fillable }
  /** A copy op's range as a plain stream. */
  | { kind: 'chunks'; it: AsyncIterator<Uint8Array> }

/** Turns ops into bytes, `fill` call by `fill` call, hashing them on the way. */
class Patcher {
  #hasher: Promise<WholeFileHasher> | WholeFileHasher
  readonly #sha: Hash | undefined
  #size = 0
  /** Bytes filled by earlier calls and not hashed yet, in order (see `fill`'s `defer`). */
  #unhashed: Uint8Array[] = []
  #piece: Piece | undefined
  /** The `end` op was met and checked, and the op stream is over. */
  #done = false
  /**
   * The stream was destroyed before its end was checked. A fill then fails: returning 0 would
   * say "complete and checked", and a writer that kept filling would commit a truncated file.
   */
  #closed = false
  #busy = false

  constructor(
    private readonly base: BaseReader | BaseFile,
    private readonly blockSize: number,
    private readonly ops: AsyncIterator<DeltaOp>,
    private readonly opts: ApplyDeltaOptions,
  ) {
    this.#hasher = createWholeFileHasher()
    this.#sha = opts.sha256 === undefined ? undefined : createHash('sha256')
  }

  /**
   * Fills `buf[offset, offset + length)` with the next bytes of the new file; 0 once it is complete
   * and checked. With `defer`, the bytes are hashed during the next call, while it waits for its
   * first base read or op: hashing then overlaps the reads instead of following each one (a
   * patched GiB waited ~0.6 s on reads it could not overlap). The caller leaves them unchanged
   * until that call returns, as the Fillable contract asks.
   */
  async fill(buf: Uint8Array, offset: number, length: number, defer: boolean): Promise<number> {
    if (this.#busy) throw new SyncError('UNKNOWN', 'concurrent fills of a patched stream', { op: 'delta.apply' })
    if (this.#closed) {
      throw new SyncError('ABORTED', 'the patched stream was closed before its end', {
        op: 'delta.apply',
        ...(this.opts.path !== undefined ? { path: this.opts.path } : {}),
      })
    }
    this.#busy = true
    try {
      this.#hasher = await this.#hasher
      // What earlier calls placed where this one writes (a caller with one buffer) is hashed first.
      this.#hashOverlapping(buf.subarray(offset, offset + length))
      let n = 0
      while (n < length && !this.#done) {
        const p = this.#piece ?? (await this.#nextOp(buf.subarray(offset, offset + n)))
        if (p === undefined) continue
        const at = offset + n
        let k = 0
        if (p.kind === 'bytes') {
          k = Math.min(length - n, p.data.length - p.at)
          buf.set(p.data.subarray(p.at, p.at + k), at)
          p.at += k
          if (p.at === p.data.length) this.#piece = p.rest === undefined ? undefined : { kind: 'chunks', it: p.rest }
        } else if (p.kind === 'file') {
          k =
            p.end > p.pos
              ? await this.#whileHashing(
                  (this.base as BaseFile).readAt(buf, at, Math.min(length - n, p.end - p.pos), p.pos),
                )
              : 0
          p.pos += k
          // A base shorter than the op's blocks ends the copy early (its last block is short).
          if (k === 0 || p.pos >= p.end) this.#piece = undefined
        } else if (p.kind === 'fill') {
          k = await this.#whileHashing(p.stream[FILL](buf, at, length - n))
          if (k === 0) this.#endRange(p.stream)
        } else {
          const r = await p.it.next()
          this.#piece = r.done ? undefined : { kind: 'bytes', data: r.value, at: 0, rest: p.it }
          continue
        }
        n += k
      }
      // After the end op, everything up to here is hashed already (and checked).
      if (n > 0 && !this.#done) {
        if (defer) this.#unhashed.push(buf.subarray(offset, offset + n))
        else this.#digest(buf.subarray(offset, offset + n))
      }
      return n
    } finally {
      this.#busy = false
    }
  }

  /** Releases the op stream and any base range still open (the stream was destroyed). */
  async close(): Promise<void> {
    const p = this.#piece
    this.#piece = undefined
    if (p?.kind === 'fill') this.#endRange(p.stream)
    else if (p?.kind === 'chunks') await p.it.return?.()
    else if (p?.kind === 'bytes') await p.rest?.return?.()
    if (!this.#done) {
      this.#done = true
      this.#closed = true
      await this.ops.return?.()
    }
  }

  /** Hashes the deferred bytes up to the last that shares memory with `target`. */
  #hashOverlapping(target: Uint8Array): void {
    const last = this.#unhashed.findLastIndex(
      (b) =>
        b.buffer === target.buffer &&
        b.byteOffset < target.byteOffset + target.byteLength &&
        target.byteOffset < b.byteOffset + b.byteLength,
    )
    for (const bytes of this.#unhashed.splice(0, last + 1)) this.#digest(bytes)
  }

  /** Hashes what earlier calls filled while `pending` (a read, the next op) is under way. */
  async #whileHashing<T>(pending: Promise<T>): Promise<T> {
    if (this.#unhashed.length > 0) {
      // Awaited below, after the hashing: a failure meanwhile is not an unhandled rejection.
      pending.catch(() => {})
      for (const bytes of this.#unhashed.splice(0)) this.#digest(bytes)
    }
    return pending
  }

  #digest(bytes: Uint8Array): void {
    ;(this.#hasher as WholeFileHasher).update(bytes)
    this.#sha?.update(bytes)
    this.#size += bytes.length
  }

  #endRange(stream: unknown): void {
    this.#piece = undefined
    ;(stream as { destroy?: () => void }).destroy?.()
  }

  /**
   * Takes the next op: sets the piece it reads from (or checks the end, having hashed `current`,
   * the bytes this fill placed so far); `undefined` when it has none.
   */
  async #nextOp(current: Uint8Array): Promise<Piece | undefined> {
    this.opts.signal?.throwIfAborted()
    const r = await this.#whileHashing(this.ops.next())
    if (r.done) throw this.#fail('delta ended early (no end op)')
    const op = r.value
    if (op.type === 'literal') {
      this.#piece = op.data.length > 0 ? { kind: 'bytes', data: op.data, at: 0 } : undefined
    } else if (op.type === 'copy') {
      const { index, count } = op
      const offset = index * this.blockSize
      const length = count * this.blockSize
      if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || count < 1) {
        throw this.#fail(`bad copy op (index ${index}, count ${count})`)
      }
      if (!Number.isSafeInteger(offset + length)) throw this.#fail(`copy op beyond any file (index ${index})`)
      if ('readAt' in this.base) this.#piece = { kind: 'file', pos: offset, end: offset + length }
      else {
        const stream = await this.base({ offset, length })
        const fillable = fillableOf(stream)
        this.#piece = fillable
          ? { kind: 'fill', stream: fillable }
          : { kind: 'chunks', it: stream[Symbol.asyncIterator]() }
      }
    } else {
      this.#digest(current)
      if (op.size !== this.#size) throw this.#fail(`patched file has ${this.#size} bytes, the source ${op.size}`)
      if (op.xxh128 !== (this.#hasher as WholeFileHasher).hex()) {
        throw this.#fail('XXH3-128 of the patched file differs from the source')
      }
      if (this.#sha !== undefined && this.#sha.digest('hex') !== this.opts.sha256) {
        throw this.#fail('sha256 of the patched file differs from the one expected')
      }
      // Nothing may follow the end: the stream must be over (a client cannot append unchecked bytes).
      const after = await this.ops.next()
      if (!after.done) throw this.#fail('delta has ops after its end')
      this.#done = true
    }
    return this.#piece
  }

  #fail(message: string): SyncError {
    return new SyncError('CHECKSUM', message, {
      op: 'delta.apply',
      ...(this.opts.path !== undefined ? { path: this.opts.path } : {}),
      hint: 'The base file or the source changed during the transfer; the next run copies it again.',
    })
  }
}
