import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { DeltaOp, ReadRange } from '../backend/backend.js'
import { SyncError } from '../errors/sync-error.js'

/** Random access to the base (old) file: the bytes of `range`, e.g. `(r) => backend.read(path, r)`. */
export type BaseReader = (range: ReadRange) => Promise<AsyncIterable<Uint8Array>>

/** Options of `applyDelta`. */
export interface ApplyDeltaOptions {
  /** A sha256 (hex) the result must also have, e.g. `WriteMeta.hashes.sha256`. */
  readonly sha256?: string
  /** Where the error message says the delta was for. */
  readonly path?: string
  readonly signal?: AbortSignal
}

/**
 * The new file as a byte stream: base ranges for `copy` ops, the data of `literal` ops. The stream
 * fails with `CHECKSUM` instead of ending when the result's length or sha256 differs from the
 * `end` op (or the op stream has none), so an atomic `write` of it never commits a bad file.
 */
export function applyDelta(
  base: BaseReader,
  blockSize: number,
  ops: AsyncIterable<DeltaOp>,
  opts: ApplyDeltaOptions = {},
): Readable {
  // A deep buffer lets base reads run ahead while the consumer writes (a 16 KiB one serializes them).
  return Readable.from(patched(base, blockSize, ops, opts), { objectMode: false, highWaterMark: 4 * 1024 * 1024 })
}

async function* patched(
  base: BaseReader,
  blockSize: number,
  ops: AsyncIterable<DeltaOp>,
  opts: ApplyDeltaOptions,
): AsyncGenerator<Uint8Array> {
  const fail = (message: string): SyncError =>
    new SyncError('CHECKSUM', message, {
      op: 'delta.apply',
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      hint: 'The base file or the source changed during the transfer; the next run copies it again.',
    })
  const hasher = createHash('sha256')
  let size = 0
  let ended = false
  for await (const op of ops) {
    opts.signal?.throwIfAborted()
    if (ended) throw fail('delta has ops after its end')
    if (op.type === 'literal') {
      hasher.update(op.data)
      size += op.data.length
      yield op.data
    } else if (op.type === 'copy') {
      if (!Number.isSafeInteger(op.index) || !Number.isSafeInteger(op.count) || op.index < 0 || op.count < 1) {
        throw fail(`bad copy op (index ${op.index}, count ${op.count})`)
      }
      const stream = await base({ offset: op.index * blockSize, length: op.count * blockSize })
      for await (const chunk of stream) {
        hasher.update(chunk)
        size += chunk.length
        yield chunk
      }
    } else {
      ended = true
      const sha256 = hasher.digest('hex')
      if (op.size !== size) throw fail(`patched file has ${size} bytes, the source ${op.size}`)
      if (op.sha256 !== sha256 || (opts.sha256 !== undefined && opts.sha256 !== sha256)) {
        throw fail('sha256 of the patched file differs from the source')
      }
    }
  }
  if (!ended) throw fail('delta ended early (no end op)')
}
