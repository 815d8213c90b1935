import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { DeltaOp, ReadRange } from '../backend/backend.js'
import { SyncError } from '../errors/sync-error.js'
import { createWholeFileHasher } from './whole-file-hash.js'

/** Random access to the base (old) file: the bytes of `range`, e.g. `(r) => backend.read(path, r)`. */
export type BaseReader = (range: ReadRange) => Promise<AsyncIterable<Uint8Array>>

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

/**
 * The new file as a stream of Buffers: base ranges for `copy` ops, the data of `literal` ops. It
 * fails with `CHECKSUM` instead of ending when the result's length or XXH3-128 differs from the
 * `end` op (or the op stream has none), so an atomic `write` of it never commits a bad file.
 */
export function applyDelta(
  base: BaseReader,
  blockSize: number,
  ops: AsyncIterable<DeltaOp>,
  opts: ApplyDeltaOptions = {},
): Readable {
  // Object mode, up to 4 chunks ahead (base reads come in up to 1 MiB, literals up to 64 KiB): base
  // reads run ahead while the consumer writes, and each chunk is handed on as it is. In byte mode a
  // consumer that reads whatever is buffered gets it concatenated into a fresh buffer: a second
  // copy of the whole file, and garbage.
  return Readable.from(patched(base, blockSize, ops, opts), { objectMode: true, highWaterMark: 4 })
}

async function* patched(
  base: BaseReader,
  blockSize: number,
  ops: AsyncIterable<DeltaOp>,
  opts: ApplyDeltaOptions,
): AsyncGenerator<Buffer> {
  const fail = (message: string): SyncError =>
    new SyncError('CHECKSUM', message, {
      op: 'delta.apply',
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      hint: 'The base file or the source changed during the transfer; the next run copies it again.',
    })
  const hasher = await createWholeFileHasher()
  const sha = opts.sha256 === undefined ? undefined : createHash('sha256')
  let size = 0
  let ended = false
  for await (const op of ops) {
    opts.signal?.throwIfAborted()
    if (ended) throw fail('delta has ops after its end')
    if (op.type === 'literal') {
      hasher.update(op.data)
      sha?.update(op.data)
      size += op.data.length
      yield asBuffer(op.data)
    } else if (op.type === 'copy') {
      if (!Number.isSafeInteger(op.index) || !Number.isSafeInteger(op.count) || op.index < 0 || op.count < 1) {
        throw fail(`bad copy op (index ${op.index}, count ${op.count})`)
      }
      const stream = await base({ offset: op.index * blockSize, length: op.count * blockSize })
      for await (const chunk of stream) {
        hasher.update(chunk)
        sha?.update(chunk)
        size += chunk.length
        yield asBuffer(chunk)
      }
    } else {
      ended = true
      if (op.size !== size) throw fail(`patched file has ${size} bytes, the source ${op.size}`)
      if (op.xxh128 !== hasher.hex()) throw fail('XXH3-128 of the patched file differs from the source')
      if (sha !== undefined && sha.digest('hex') !== opts.sha256) {
        throw fail('sha256 of the patched file differs from the one expected')
      }
    }
  }
  if (!ended) throw fail('delta ended early (no end op)')
}

/** A Buffer view of the same bytes (no copy): stream consumers may rely on Buffer methods. */
function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}
