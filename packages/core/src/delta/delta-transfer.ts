import type { Readable } from 'node:stream'
import type {
  Backend,
  DeltaFromOptions,
  DeltaOp,
  FileSignature,
  PartialFile,
  ReadRange,
  WriteMeta,
  WriteOptions,
} from '../backend/backend.js'
import { supports } from '../backend/backend.js'
import { expectMismatch } from '../backend/expect-mismatch.js'
import { isSyncError, SyncError } from '../errors/sync-error.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { type CheckedRead, checkedRead, raceRead, readOfTarget } from '../operators/size-mismatch.js'
import type { RateLimiter } from '../util/rate-limiter.js'
import { applyDelta } from './apply-delta.js'
import { blockSizeFor, strongBytesFor } from './block-size.js'
import { computeSignature } from './compute-signature.js'
import { deltaOpBytes } from './delta-op-bytes.js'
import { type GenerateDeltaOptions, generateDelta } from './generate-delta.js'
import { hashAhead } from './hash-ahead.js'
import { setMtimeInPlace } from './set-mtime-in-place.js'
import { progressiveSignatures, SIGNATURE_IN_PROGRESS } from './signature-progress.js'
import { isWholeBaseCopy, type WholeBaseCopy } from './whole-base-copy.js'
import { wholeFileDigest } from './whole-file-hash.js'

/** Files below this size go whole: a delta would save less than its round trips cost. */
export const MIN_DELTA_SIZE = 64 * 1024

/** Options of `deltaTransfer`: those of `write`, plus the delta's own. */
export interface DeltaTransferOptions extends WriteOptions {
  /** Block size in bytes; 0 or absent = from the target file's size (`blockSizeFor`). */
  readonly blockSize?: number
  /** Smaller files (either side) go whole. [64 KiB] */
  readonly minSize?: number
  /**
   * Called when the patched file failed its whole-file check (`CHECKSUM`) and the file was sent
   * whole instead; the engine reports it as a degraded decision.
   */
  readonly onFallback?: (reason: SyncError) => void
  /**
   * Told the bytes each delta op takes on the wire (literal data plus its instruction, see
   * `deltaOpBytes`) as it is sent, and the file's size when it is sent whole after a failed check:
   * their sum is what the transfer moved, where the file's size is what it produced. The signature
   * (about 12 bytes per block, the other way) is not counted.
   */
  readonly onWireBytes?: (bytes: number) => void
  /** The run's `--bwlimit`: the ops' bytes on the wire pass through it, as a whole file's do. */
  readonly limiter?: RateLimiter
  /**
   * Called when a new file (`expect: null`) was made from the partial an interrupted write of it
   * left on the target (`PartialKeeping`): that partial's size, and the bytes that crossed the wire
   * (as told to `onWireBytes`).
   */
  readonly onResumed?: (partialBytes: number, reusedBytes: number) => void
}

/** Which side computes the delta: `push` = the target is remote (DeltaCapable), `pull` = the source is (DeltaSource). */
export type DeltaDirection = 'push' | 'pull'

/** How a delta between these two backends would run, or `undefined` when neither side offers one. */
export function deltaDirection(source: Backend, target: Backend): DeltaDirection | undefined {
  if (supports.delta(target)) return 'push'
  if (supports.deltaFrom(source)) return 'pull'
  return undefined
}

/**
 * Updates `path` on `target` to the content of `path` on `source` by sending only the blocks that
 * changed, rsync-style, when one side is remote and offers delta (see `deltaDirection`). Returns
 * the written entry, or `undefined` when a delta does not apply (no delta on either side, the
 * target file missing or not a file, either side smaller than `minSize`): the caller then writes
 * the file whole. `meta` and `opts` are those of `write` (`opts.expect`, when an Entry, is also the
 * base whose size picks the block size). A new file (`opts.expect === null`) pulled from a
 * `DeltaSource` into a target that keeps partials is made from the partial an interrupted write of
 * it left, when there is one (rsync's `--partial`; `onResumed` is told). A patch that fails its
 * whole-file check is redone as a whole-file write (`onFallback` is told). Errors are `SyncError`s
 * as from `write`. What crossed the wire goes to `onWireBytes`.
 */
export async function deltaTransfer(
  source: Backend,
  target: Backend,
  path: RelPath,
  meta: WriteMeta,
  opts: DeltaTransferOptions = {},
): Promise<Entry | undefined> {
  const direction = deltaDirection(source, target)
  if (direction === undefined) return undefined
  const minSize = opts.minSize ?? MIN_DELTA_SIZE
  if (meta.size !== undefined && meta.size < minSize) return undefined
  // The base: the target's file; for a new one (the target must not have it), what an interrupted
  // pull of it left there, where the target keeps that: else there is nothing to patch.
  let base: Entry | undefined
  let partial: PartialFile | undefined
  if (opts.expect === null) {
    if (direction !== 'pull' || !supports.partials(target)) return undefined
    partial = await target.partialOf(path)
    if (partial === undefined || partial.size < minSize) return undefined
  } else {
    base = opts.expect ?? (await target.stat(path))
    if (base === undefined || base.kind !== 'file' || base.size < minSize) return undefined
  }
  const baseSize = partial?.size ?? (base as Entry).size
  const blockSize = opts.blockSize || blockSizeFor(baseSize)
  const signal = opts.signal
  const limiter = opts.limiter
  const told = opts.onWireBytes
  // Each op's wire bytes: counted, and held to the rate limit before the op goes out.
  const wire =
    limiter === undefined
      ? told
      : (bytes: number): Promise<void> | undefined => {
          told?.(bytes)
          const wait = limiter.reserve(bytes)
          return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : undefined
        }
  // Every read of the source is held to the size it listed: a short read (a plugin's broken stream,
  // a file truncated since it was listed) would otherwise be patched in and pass the whole-file
  // check, which hashes the same short bytes (QA 8 #1). Pulled, the file built is held to it.
  const reads = checkedRead(source, path, meta.size, opts.readOptions)
  const writeOpts: WriteOptions = {
    ...(opts.expect !== undefined ? { expect: opts.expect } : {}),
    ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
    ...(signal !== undefined ? { signal } : {}),
    ...(opts.keepPartial ? { keepPartial: true } : {}),
  }
  try {
    if (direction === 'push' && supports.delta(target)) {
      const sig = signal ? { signal } : {}
      const progressive = progressiveSignatures(target)
      let signature: FileSignature | undefined
      let ahead: Pick<GenerateDeltaOptions, 'progress' | 'hashed'>
      let cancel = (): void => {}
      if (progressive !== undefined) {
        // Matching starts with the first blocks of the signature instead of after the target has
        // read its whole file for it; the new file's hash is taken in the same pass.
        const arriving = await progressive[SIGNATURE_IN_PROGRESS](path, blockSize, sig)
        if (arriving === undefined) return undefined
        signature = arriving.signature
        ahead = { progress: arriving.progress }
        cancel = () => arriving.cancel()
      } else {
        const signing = target.signature(path, blockSize, sig)
        // Handled here, awaited below: a failure while the hash runs ahead is not "unhandled".
        signing.catch(() => {})
        // The target reads its whole file for the signature; meanwhile, hash ours (see hashAhead).
        const hashed = await hashAhead(reads.check(await reads.open()), signing, sig)
        signature = await signing
        if (signature === undefined) return undefined
        ahead = { hashed }
      }
      try {
        const body = reads.check(await reads.open())
        try {
          const ops = generateDelta(body, signature, {
            ...ahead,
            ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
            ...sig,
          })
          // A read whose check failed is never committed, whether or not its consumer saw the error:
          // the ops end in it, and the patch is abandoned.
          const checked = endsChecked(ops, reads)
          return await target.patch(path, signature.blockSize, wire ? metered(checked, wire) : checked, meta, writeOpts)
        } finally {
          body.destroy()
        }
      } finally {
        cancel()
      }
    }
    if (!supports.deltaFrom(source)) return undefined
    // The target's reads of its base, raced against the run's signal as the source's are: a
    // plugin target's read() that never settles kept a stopped run waiting (fx26-a #3).
    const readBase = (range: ReadRange | undefined): Promise<AsyncIterable<Uint8Array>> =>
      partial === undefined ? readOfTarget(target, path, range, signal) : readOfPartial(partial, range, signal, path)
    let signature: FileSignature
    try {
      signature = await computeSignature(
        await readBase(undefined),
        blockSize,
        strongBytesFor(baseSize, blockSize),
        signal ? { sizeHint: baseSize, signal } : { sizeHint: baseSize },
      )
    } catch (err) {
      // A partial gone or changed before anything was fetched: the file is fetched whole.
      if (partial !== undefined && !signal?.aborted && isSyncError(err) && err.code === 'CHECKSUM') return undefined
      throw err
    }
    // Pinned as every other read of the source is: the file listed, or (tolerateChanges) its listed size.
    const pin = opts.readOptions ?? {}
    const fromOpts: DeltaFromOptions = {
      ...pin,
      ...(signal ? { signal } : {}),
      ...(pin.tolerateChanges && meta.size !== undefined ? { length: meta.size } : {}),
    }
    const it = source.deltaFrom(path, signature, fromOpts)[Symbol.asyncIterator]()
    // The first two ops tell a delta that leaves the file as it is (a file touched with the same
    // content): then it is checked by reading it and only gets the new mtime.
    const head: DeltaOp[] = []
    // The bytes the new file takes from its base (a partial's, for `onResumed`: what was not fetched again).
    let reused = 0
    const fromBase = (op: DeltaOp): void => {
      if (op.type === 'copy') reused += Math.max(0, Math.min(op.count * blockSize, baseSize - op.index * blockSize))
    }
    while (head.length < 2) {
      const r = await it.next()
      if (r.done) break
      head.push(r.value)
      fromBase(r.value)
      await wire?.(deltaOpBytes(r.value))
    }
    if (base !== undefined && isWholeBaseCopy(head, base.size, blockSize)) {
      const touched = await touchIfUnchanged(target, path, head, base, meta, opts)
      if (touched !== undefined) {
        await it.return?.()
        return touched
      }
    }
    const ops = (async function* () {
      yield* head
      for (let r = await it.next(); !r.done; r = await it.next()) {
        fromBase(r.value)
        await wire?.(deltaOpBytes(r.value))
        yield r.value
      }
    })()
    const body = applyDelta(readBase, blockSize, ops, {
      path,
      ...(signal !== undefined ? { signal } : {}),
    })
    // (Made from the partial: one that comes out wrong is no base to resume from, and goes.)
    const written = await target.write(
      path,
      reads.check(body),
      meta,
      partial !== undefined ? { ...writeOpts, partialIsBase: true } : writeOpts,
    )
    if (partial !== undefined) opts.onResumed?.(partial.size, reused)
    return written
  } catch (err) {
    // Interrupted, whatever failed since is the abort's doing: the target's abort ends the patched
    // stream under its fill, and the size check took that for a short read of the source (QA 10 #6).
    if (signal?.aborted) throw interrupted(err, path)
    // What the target made of a failed check (its own write's failure) is not what happened.
    if (reads.error !== undefined) throw reads.error
    if (!isSyncError(err) || err.code !== 'CHECKSUM') throw err
    // A patch fails its check when the base it was made against changed meanwhile (edited on the
    // target during the transfer): then the write would only end in CONFLICT after sending the whole
    // file (QA: 72 MB through a 5 MB/s --bwlimit, and a note that it was "sent whole"). Asked first.
    if (opts.expect) {
      const mismatch = expectMismatch(await target.stat(path), opts.expect)
      if (mismatch !== undefined) {
        throw new SyncError('CONFLICT', `destination ${mismatch} since it was planned; left untouched`, {
          op: 'delta',
          path,
          hint: 'Someone changed it meanwhile: run the sync again.',
        })
      }
    }
    opts.onFallback?.(err)
    let whole: Entry
    try {
      whole = await target.write(path, reads.check(await reads.open()), meta, writeOpts)
    } catch (again) {
      if (signal?.aborted) throw interrupted(again, path)
      throw reads.error ?? again
    }
    told?.(whole.size)
    return whole
  }
}

/**
 * The bytes of `partial` (`range` of them), raced against the run's signal as a read of the target
 * is. A failure of the read (the partial removed, or changed, since it was found) is `CHECKSUM`: the
 * patch made from it fails its check, and the file is fetched whole (see `deltaTransfer`).
 */
async function readOfPartial(
  partial: PartialFile,
  range: ReadRange | undefined,
  signal: AbortSignal | undefined,
  path: RelPath,
): Promise<AsyncIterable<Uint8Array>> {
  const lost = (err: unknown): SyncError =>
    isSyncError(err) && (err.code === 'ABORTED' || err.code === 'CHECKSUM')
      ? err
      : new SyncError('CHECKSUM', 'the partial of an interrupted transfer changed while it was read', {
          op: 'delta.partial',
          path,
          cause: err,
        })
  let body: Readable
  try {
    body = await raceRead(() => partial.read(range), signal, path)
  } catch (err) {
    throw lost(err)
  }
  return (async function* () {
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) yield chunk
    } catch (err) {
      throw lost(err)
    } finally {
      body.destroy()
    }
  })()
}

/** The failure of a transfer whose signal was aborted: `err` when it says ABORTED, else ABORTED caused by it. */
function interrupted(err: unknown, path: RelPath): SyncError {
  if (isSyncError(err) && err.code === 'ABORTED') return err
  return new SyncError('ABORTED', 'interrupted', { op: 'delta', path, cause: err })
}

/** `ops`, then the failure of a read of `reads`, if one failed. */
async function* endsChecked(ops: AsyncIterable<DeltaOp>, reads: CheckedRead): AsyncGenerator<DeltaOp> {
  yield* ops
  if (reads.error !== undefined) throw reads.error
}

/** `ops`, telling `wire` the bytes of each as it is taken (sent), and waiting when it says to. */
async function* metered(
  ops: AsyncIterable<DeltaOp>,
  wire: (bytes: number) => Promise<void> | undefined | void,
): AsyncGenerator<DeltaOp> {
  for await (const op of ops) {
    await wire(deltaOpBytes(op))
    yield op
  }
}

/**
 * The pull side of a delta that copies the whole base unchanged (`isWholeBaseCopy`): when the
 * target's bytes have the delta's digest, it only gets the new mtime instead of being rewritten.
 * `undefined` when that cannot be done (no setMtime, a mode to change, a file whose mtime the
 * target may not set in place: hard links): the caller patches as usual. `CHECKSUM` when the bytes differ (the file is then sent whole), `CONFLICT` when the target
 * changed since it was planned (`opts.expect`).
 */
async function touchIfUnchanged(
  target: Backend,
  path: RelPath,
  ops: WholeBaseCopy,
  base: Entry,
  meta: WriteMeta,
  opts: DeltaTransferOptions,
): Promise<Entry | undefined> {
  if (!supports.setMtime(target)) return undefined
  if (meta.mode !== undefined && base.mode !== undefined && (meta.mode & 0o7777) !== (base.mode & 0o7777)) {
    return undefined
  }
  const digest = await wholeFileDigest(await readOfTarget(target, path, undefined, opts.signal))
  if (digest !== ops[1].xxh128) {
    throw new SyncError('CHECKSUM', 'the target changed since its signature', { op: 'delta.touch', path })
  }
  const now = await target.stat(path)
  // Unchanged as `write` with `expect` would tell it: the same version where both have one, else size and mtime.
  const same =
    now?.kind === 'file' &&
    now.size === base.size &&
    (now.version !== undefined && base.version !== undefined
      ? now.version === base.version
      : Math.abs(now.mtimeMs - base.mtimeMs) < 1)
  if (!same) {
    throw new SyncError('CONFLICT', 'changed on the target since it was planned; left as it is', {
      op: 'delta.touch',
      path,
      hint: 'Run the sync again to pick up the new state.',
    })
  }
  opts.signal?.throwIfAborted()
  return setMtimeInPlace(target, path, meta.mtimeMs)
}
