import { createHash } from 'node:crypto'
import { pipeline, type Readable, Transform } from 'node:stream'
import type { handleServerStreamingCall, handleUnaryCall, Metadata, ServerWritableStream } from '@grpc/grpc-js'
import { LocalBackend, type LocalWriteOptions, partialPathOf } from '@syncflow/backend-local'
import {
  applyDelta,
  type Backend,
  type BaseFile,
  bareMessage,
  blockSizeFor,
  computeSignature,
  type DeltaOp,
  type FileSignature,
  generateDelta,
  type HashAlgo,
  isSyncError,
  isWholeBaseCopy,
  MAX_REQUESTED_BLOCK_SIZE,
  MAX_STRONG_BYTES,
  MIN_REQUESTED_BLOCK_SIZE,
  type ReadOptions,
  type RelPath,
  SignatureIndex,
  SyncError,
  strongBytesFor,
  supports,
  toRelPath,
} from '@syncflow/core'
import type { DeltaRequest__Output } from '../generated/syncflow/v1/DeltaRequest.js'
import type { Entry as WireEntry } from '../generated/syncflow/v1/Entry.js'
import type { SyncflowHandlers } from '../generated/syncflow/v1/Syncflow.js'
import type { WriteRequest__Output } from '../generated/syncflow/v1/WriteRequest.js'
import { checkWireMtime, fromWireExpect, fromWireMeta, toWireEntry } from '../wire/entry-codec.js'
import { gzipChunk } from '../wire/gzip-chunk.js'
import { PROTOCOL_VERSION, type Protocol } from '../wire/load-protocol.js'
import { batchOps, fromWireOp } from '../wire/op-codec.js'
import { BLOCKS_PER_MESSAGE, SignatureAssembler, signatureBatch } from '../wire/signature-codec.js'
import { writeMessage } from '../wire/streams.js'
import type { ContentIndex } from './content-index.js'
import { READ_CHUNK } from './local-tree.js'
import type { OpenFilesGate } from './open-files-gate.js'
import type { PathLocks } from './path-locks.js'
import { quietLimit } from './quiet-limit.js'
import { readOnlyRefusal } from './read-only.js'
import { checkServedRoot } from './served-root.js'
import { fullPath, type OpenBase, type ServedTree } from './served-tree.js'
import type { SignatureBudget } from './signature-budget.js'
import { forClient, toStatus } from './to-status.js'
import { touchIfUnchanged } from './touch-if-unchanged.js'
import { uploadBody } from './upload-body.js'
import { writeManyHandler } from './write-many.js'

/** How long a request for a path's partial waits for an upload of that path to end (see Signature). */
const PARTIAL_SETTLE_MS = 2000

/** What the service needs. */
export interface ServiceContext {
  readonly tree: ServedTree
  readonly index: ContentIndex
  readonly locks: PathLocks
  /**
   * Turns for the operations that hold files open, across all clients (see OpenFilesGate). Taken
   * before a path lock, never while holding one: a lock holder never waits for a turn.
   */
  readonly gate: OpenFilesGate
  /** Room for the signatures Delta calls hold, across all clients (see SignatureBudget). */
  readonly signatures: SignatureBudget
  readonly protocol: Protocol
  /** Throws `AUTH` unless the call's metadata carries the server's token. */
  readonly authorize: (metadata: Metadata) => void
  /**
   * The served directory's identity (machine:device:inode), told at Hello; a call that names
   * another one (`syncflow-root-id`) is refused (see checkServedRoot). [none: not told, not checked]
   */
  readonly servedRootId?: string
  readonly maxMessageBytes: number
  readonly serverVersion: string
  /** gzip what the server streams in bulk (Read chunks, Delta literals), whatever the client asked. */
  readonly compress: boolean
  /** The served directory's real path, kept out of the messages clients are sent (see `forClient`). */
  readonly root?: string
  /**
   * `syncflow serve --read-only`: every call that would change the tree is refused (PERMISSION,
   * see `readOnlyRefusal`), and so is the listing of a run that would write into it. [false]
   */
  readonly readOnly?: boolean
  /** How long a client's upload stream (Write, Patch, Delta's signature) may send nothing. [1 hour] */
  readonly quietMs?: number
}

/** A client's stream that sends nothing for this long fails (see quietLimit). */
const DEFAULT_QUIET_MS = 60 * 60_000

const ENTRIES_PER_MESSAGE = 1000
const HASH_ALGOS: readonly HashAlgo[] = ['md5', 'sha1', 'sha256']

/**
 * Aborted when the client goes away (cancel, cut connection). A write under way then never
 * commits: LocalBackend checks the signal just before its rename, so a client that saw its call
 * fail and retries does not meet the abandoned attempt landing later (as a CONFLICT).
 */
function cancelSignal(call: { on(event: 'cancelled', listener: () => void): unknown }): AbortSignal {
  const ac = new AbortController()
  call.on('cancelled', () => ac.abort())
  return ac.signal
}

/**
 * A file or symlink where the client wants a directory is left alone (never replaced by a mkdir):
 * the backend's CONFLICT says what is in the way, and gets a hint on what to do about it.
 */
function inTheWay(err: unknown): unknown {
  if (!isSyncError(err) || err.code !== 'CONFLICT' || err.hint !== undefined) return err
  // The message without its "CONFLICT: local.mkdir (path): ", which the new error writes again.
  return new SyncError('CONFLICT', bareMessage(err), {
    ...(err.op !== undefined ? { op: err.op } : {}),
    ...(err.path !== undefined ? { path: err.path } : {}),
    hint: 'Nothing was changed: remove or rename it on the server. copy and update never replace it; sync does, when its deletes run.',
    cause: err,
  })
}

/** The client root of a request: `''` or a RelPath below the served root. */
function rootOf(raw: string): string {
  return raw === '' ? '' : toRelPath(raw, 'root')
}

/**
 * The handlers of the Syncflow service (proto/syncflow.proto) over a served tree. Every handler
 * checks the token, validates every path as a RelPath, holds a path lock while it mutates (see
 * PathLocks), checks that no symlink lies on the way, and answers failures with a gRPC status
 * naming the syncflow code (see `toStatus`).
 */
export function syncflowService(ctx: ServiceContext): SyncflowHandlers {
  const { tree, index, locks, gate, protocol } = ctx

  const quietMs = ctx.quietMs ?? DEFAULT_QUIET_MS
  /** The token, then the served directory the client expects (checked on every call, Hello too). */
  const admit = (metadata: Metadata): void => {
    ctx.authorize(metadata)
    checkServedRoot(metadata, ctx.servedRootId)
  }
  const fail = (op: string, err: unknown) => toStatus(err, protocol.grpc, op, ctx.root)
  /** Throws the --read-only refusal for a call that would change the tree (checked before anything is opened). */
  const writable = (op: string): void => {
    if (ctx.readOnly) throw readOnlyRefusal(op)
  }

  function unary<Req, Res>(op: string, fn: (req: Req, signal: AbortSignal) => Promise<Res>): handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const signal = cancelSignal(call)
      const run = async () => {
        admit(call.metadata)
        return fn(call.request, signal)
      }
      run().then(
        (res) => callback(null, res),
        (err: unknown) => callback(fail(op, err)),
      )
    }
  }

  function serverStream<Req, Res>(
    op: string,
    fn: (req: Req, call: ServerWritableStream<Req, Res>, signal: AbortSignal) => Promise<void>,
  ): handleServerStreamingCall<Req, Res> {
    return (call) => {
      const ac = new AbortController()
      call.on('cancelled', () => ac.abort())
      const run = async () => {
        admit(call.metadata)
        await fn(call.request, call, ac.signal)
      }
      run().then(
        () => call.end(),
        (err: unknown) => {
          if (!call.cancelled) call.emit('error', fail(op, err))
        },
      )
    }
  }

  /** A backend and the checked full path for a request's root + path. */
  async function resolve(root: string, path: string) {
    const sub = rootOf(root)
    const rel = toRelPath(path)
    const full = fullPath(sub, rel)
    const backend = await tree.backend(sub)
    await tree.checkParents(full)
    return { sub, rel, full, backend }
  }

  function need<K extends keyof typeof supports>(backend: Backend, feature: K): void {
    if (!supports[feature](backend)) {
      throw new SyncError('UNSUPPORTED', `this server cannot ${feature}`, { op: `serve.${feature}` })
    }
  }

  /** Passes bytes through, hashing them (for the content index). */
  function sha256Tap(): { tap: Transform; digest: () => string } {
    const h = createHash('sha256')
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        h.update(chunk)
        cb(null, chunk)
      },
    })
    return { tap, digest: () => h.digest('hex') }
  }

  const handlers: SyncflowHandlers = {
    Hello: unary('hello', async (req) => {
      const backend = await tree.backend(rootOf(req.root))
      const c = backend.capabilities
      // "writeMany": small files in one stream each (WriteMany); older clients ignore it and Write.
      // "removeExpect": Remove re-checks a file's planned entry (RemoveRequest.expect) where the
      // backend can; older clients Stat before each Remove instead.
      const features = ['hash', 'delta', 'deltaFrom', 'findContent', 'writeMany']
      if (supports.removeExpect(backend)) features.push('removeExpect')
      // "flush": Flush makes copied files durable with their names before a client's move removes
      // the originals; older clients never ask.
      if (supports.flush(backend)) features.push('flush')
      for (const f of ['move', 'copy', 'setMtime', 'setMode', 'mkdir', 'symlink', 'watch'] as const) {
        if (supports[f](backend)) features.push(f)
      }
      // Its Watch says when its watcher is armed (WatchReply.ready): a client that hears this waits for
      // it before its initial snapshot. Older clients ignore the feature and drop the message.
      if (supports.watch(backend)) features.push('watchReady')
      // Said, so that a client that only writes here (a --backup-dir, never listed) can refuse it up
      // front as a target is refused, not fail each file it keeps (QA 30b). Older clients ignore it.
      if (ctx.readOnly) features.push('readOnly')
      // Keeps what an interrupted upload of 1 MiB or more wrote, for the client's next try to send
      // only the rest (rsync's --partial): SignatureRequest.partial, PatchHeader.from_partial.
      if (backend instanceof LocalBackend) features.push('partial')
      return {
        protocol: PROTOCOL_VERSION,
        serverVersion: ctx.serverVersion,
        rootExists: await backend.rootExists(),
        capabilities: {
          hashes: [...c.hashes],
          mtimePrecisionMs: c.mtimePrecisionMs,
          listMtime: c.listMtime,
          emptyDirs: c.emptyDirs,
          symlinks: c.symlinks,
          permissions: c.permissions,
          caseSensitive: c.caseSensitive,
          ...(c.maxPathBytes !== undefined ? { maxPathBytes: c.maxPathBytes } : {}),
          watch: c.watch,
          clearsSetId: c.clearsSetId === true,
        },
        features,
        maxMessageBytes: ctx.maxMessageBytes,
        rootChain: await tree.rootChain(rootOf(req.root)).then((c) => ({ exists: c.exists, ids: [...c.ids] })),
        ...(ctx.servedRootId !== undefined ? { servedRootId: ctx.servedRootId } : {}),
      }
    }),

    List: serverStream('list', async (req, call, signal) => {
      // The target of a run that writes (a source, a dry run, check and ls list without cleanUp):
      // refused up front, so that such a run stops at once (exit 2) rather than failing every file.
      if (req.cleanUp && ctx.readOnly) throw readOnlyRefusal('list', 'it cannot be the target of a sync or copy')
      const backend = await tree.backend(rootOf(req.root))
      let entries: WireEntry[] = []
      let problems: Array<{ code: string; message: string; path?: string; hint?: string }> = []
      let notices: Array<{ code: string; message: string; path?: string }> = []
      const flush = async () => {
        await writeMessage(call, { entries, problems, notices })
        entries = []
        problems = []
        notices = []
      }
      // A turn for the whole listing: its directories stay open while the client takes the messages.
      await gate.run('list', signal, async () => {
        const listing = backend.list({
          signal,
          // Only for a client whose run writes here: a listing is otherwise read only.
          ...(req.cleanUp ? { cleanUp: true } : {}),
          onError: (e) => {
            // Its hint too: the server's backend knows what to do about it (a path too long there).
            const { message, hint } = forClient(e, ctx.root)
            problems.push({ code: e.code, message, ...(e.path ? { path: e.path } : {}), ...(hint ? { hint } : {}) })
          },
          onNotice: (n) => notices.push({ code: n.code, message: n.message, ...(n.path ? { path: n.path } : {}) }),
        })
        for await (const e of listing) {
          entries.push(toWireEntry(e))
          if (entries.length >= ENTRIES_PER_MESSAGE) await flush()
          if (call.cancelled) return
        }
        if (entries.length > 0 || problems.length > 0 || notices.length > 0) await flush()
      })
    }),

    Stat: unary('stat', async (req) => {
      const sub = rootOf(req.root)
      const rel = toRelPath(req.path)
      const backend = await tree.backend(sub)
      // The client's root itself through a symlink: refused, as every call refuses it.
      if (sub !== '') await tree.checkParents(fullPath(sub, 'x' as RelPath))
      // A path below a symlink within it is absent, as the listing (which never enters a symlink)
      // and a local directory's stat have it; nothing is looked up through the link. Refused, a
      // watch into grpc:// failed its cycle (deletes held) with "goes through the symlink y: replace
      // the symlink by a directory" when the source's y/z came and went within one batch while y
      // was a symlink on both sides, as the run had just made it (QA 31j #3).
      try {
        await tree.checkParents(fullPath(sub, rel))
      } catch (err) {
        if (isSyncError(err) && err.code === 'INVALID_PATH') return { found: false, notices: [] }
        throw err
      }
      const notices: Array<{ code: string; message: string; path?: string }> = []
      const entry = await backend.stat(rel, {
        onNotice: (n) => notices.push({ code: n.code, message: n.message, ...(n.path ? { path: n.path } : {}) }),
      })
      return entry ? { found: true, entry: toWireEntry(entry) } : { found: false, notices }
    }),

    Read: serverStream('read', async (req, call, signal) => {
      const gzip = ctx.compress || req.gzip
      const { full } = await resolve(req.root, req.path)
      const expect = fromWireExpect(req.expect, full) ?? undefined
      // The file stays open until the client has taken its last message (or went away).
      await gate.run('read', signal, async () => {
        const stream = await tree.readFile(
          full,
          { offset: req.offset, ...(req.length !== undefined ? { length: req.length } : {}) },
          { ...(expect ? { expect } : {}), ...(req.tolerateChanges ? { tolerateChanges: true } : {}) },
        )
        try {
          for await (const chunk of stream) {
            for (let off = 0; off < chunk.length; off += READ_CHUNK) {
              const data = chunk.subarray(off, off + READ_CHUNK)
              await writeMessage(call, gzip ? await gzipChunk(data) : { data })
              if (call.cancelled) return
            }
          }
        } finally {
          stream.destroy()
        }
      })
    }),

    Write: (call, callback) => {
      const signal = cancelSignal(call)
      const it: AsyncIterator<WriteRequest__Output> = quietLimit(call[Symbol.asyncIterator](), quietMs, 'write')
      // The data chunks after the header; fails (so nothing is committed) unless an `end` message
      // with the exact byte count closes them.
      async function* body(): AsyncGenerator<Buffer> {
        let n = 0
        for (;;) {
          const r = await it.next()
          if (r.done) throw new SyncError('TRANSIENT', 'upload ended before its end marker', { op: 'serve.write' })
          const m = r.value
          if (m.msg === 'data' && m.data) {
            n += m.data.length
            yield m.data
          } else if (m.msg === 'end' && m.end) {
            if (m.end.size !== n) {
              throw new SyncError('CHECKSUM', `upload has ${n} bytes, the client sent ${m.end.size}`, {
                op: 'serve.write',
              })
            }
            return
          } else throw new SyncError('USAGE', 'unexpected message in an upload', { op: 'serve.write' })
        }
      }
      const run = async () => {
        admit(call.metadata)
        writable('write')
        const first = await it.next()
        const header = first.done ? undefined : first.value.header
        if (!header) throw new SyncError('USAGE', 'an upload must start with its header', { op: 'serve.write' })
        const { rel, full, backend } = await resolve(header.root, header.path)
        const meta = fromWireMeta(header.meta)
        const expect = fromWireExpect(header.expect, rel)
        // The temp file stays open while the client sends the body: the turn lasts the whole upload.
        return gate.run('write', signal, () =>
          locks.shared(full, async () => {
            await tree.checkParents(full)
            // (A client gone mid-upload leaves what it sent as the file's partial: see Hello's "partial".
            // Not before: another client's upload of the path may ask for it meanwhile.)
            const wopts: LocalWriteOptions = {
              ...(expect !== undefined ? { expect } : {}),
              signal,
              keepPartial: true,
              partialFromStart: false,
            }
            const entry = await backend.write(rel, uploadBody(body()), meta, wopts)
            // Not hashed here (that would cost every upload a sha256): the index hashes it if asked.
            index.record(full, entry, meta.hashes?.sha256)
            return { entry: toWireEntry(entry) }
          }),
        )
      }
      run().then(
        (res) => callback(null, res),
        (err: unknown) => callback(fail('write', err)),
      )
    },

    WriteMany: writeManyHandler({
      admit,
      writable,
      fail,
      resolve,
      quietMs,
      write: (full, rel, backend, data, header, signal) => {
        const meta = fromWireMeta(header.meta)
        const expect = fromWireExpect(header.expect, rel)
        return gate.run('write', signal, () =>
          locks.shared(full, async () => {
            await tree.checkParents(full)
            const entry = await backend.write(
              rel,
              uploadBody(
                (async function* () {
                  yield data
                })(),
              ),
              meta,
              { ...(expect !== undefined ? { expect } : {}), signal },
            )
            index.record(full, entry, meta.hashes?.sha256)
            return entry
          }),
        )
      },
    }),

    Signature: serverStream('signature', async (req, call, signal) => {
      const { rel, full: path, backend } = await resolve(req.root, req.path)
      // What an interrupted upload of the path left: once that upload let go of it (a client that
      // retries at once may ask before its cancelled upload has kept its partial); not for longer
      // than a moment, nor holding up another client's upload of the path (review 3 #5).
      if (req.partial) await locks.idle(path, PARTIAL_SETTLE_MS)
      const full = req.partial ? partialPathOf(path) : path
      const entry = req.partial ? await tree.lstat(full) : await backend.stat(rel)
      if (entry?.kind !== 'file') {
        throw new SyncError('NOT_FOUND', entry ? 'not a regular file' : 'no such file', { op: 'serve.signature' })
      }
      const blockSize = req.blockSize || blockSizeFor(entry.size)
      if (blockSize > MAX_REQUESTED_BLOCK_SIZE) {
        throw new SyncError('USAGE', `block size ${blockSize} is too large (at most ${MAX_REQUESTED_BLOCK_SIZE})`)
      }
      // A hostile client's 1-byte blocks had the server hold ~12 bytes per byte of the file (a
      // 32 MiB file: 800 MB, 18 s of CPU) from a request of a few bytes: at least --block-size's 64.
      if (blockSize < MIN_REQUESTED_BLOCK_SIZE) {
        throw new SyncError('USAGE', `block size ${blockSize} is too small (at least ${MIN_REQUESTED_BLOCK_SIZE})`)
      }
      // Sent on while the file is read: a client can start matching (and patching) against the
      // blocks it has instead of waiting for the whole file to be read and hashed here. The size
      // travels first, so the file must keep it: one that changes meanwhile fails with CHECKSUM
      // (the client then sends it whole, as for a base that changed under its patch).
      const strongBytes = strongBytesFor(entry.size, blockSize)
      const expected = Math.ceil(entry.size / blockSize)
      const changed = () =>
        new SyncError('CHECKSUM', 'the file changed while its signature was read', { op: 'serve.signature' })
      let sent = 0
      let first = true
      const send = async (sig: FileSignature, to: number) => {
        await writeMessage(call, {
          ...(first ? { blockSize, size: entry.size, strongBytes } : {}),
          ...signatureBatch(sig, sent, to),
        })
        first = false
        sent = to
      }
      // The file stays open while the blocks computed so far are sent.
      const sig = await gate.run('signature', signal, () =>
        computeSignature(tree.scanFile(full), blockSize, strongBytes, {
          sizeHint: entry.size,
          signal,
          onBlocks: async (partial, blocks) => {
            if (partial.size > entry.size) throw changed()
            // Every ~8 MiB of the file (at least 256 blocks): a few hundred messages per GiB.
            if (blocks - sent >= Math.min(BLOCKS_PER_MESSAGE, Math.max(256, (8 << 20) / blockSize))) {
              await send(partial, Math.min(blocks, sent + BLOCKS_PER_MESSAGE))
            }
          },
        }),
      )
      if (sig.size !== entry.size || sig.weak.length !== expected) throw changed()
      while (sent < expected || first) {
        if (call.cancelled) return
        await send(sig, Math.min(expected, sent + BLOCKS_PER_MESSAGE))
      }
    }),

    Patch: (call, callback) => {
      const signal = cancelSignal(call)
      const it = quietLimit(call[Symbol.asyncIterator](), quietMs, 'patch')
      const run = async () => {
        admit(call.metadata)
        writable('patch')
        const first = (await it.next()).value
        const header = first?.header
        if (!header) throw new SyncError('USAGE', 'a patch must start with its header', { op: 'serve.patch' })
        const { rel, full, backend } = await resolve(header.root, header.path)
        // An upload resumed: its base is what the interrupted one left (see Signature's `partial`).
        const basePath = header.fromPartial ? partialPathOf(full) : full
        const meta = fromWireMeta(header.meta, 'patch')
        const expect = fromWireExpect(header.expect, rel)
        const blockSize = header.blockSize
        if (blockSize < 1 || blockSize > MAX_REQUESTED_BLOCK_SIZE)
          throw new SyncError('USAGE', `bad block size ${blockSize}`)
        // The first batch of ops, decoded: it tells a delta that leaves the file unchanged.
        const firstOps: DeltaOp[] = []
        let ended = false
        for (const w of first.ops) firstOps.push(await fromWireOp(w, 'patch'))
        if (firstOps.length === 0) {
          const r = await it.next()
          if (r.done) ended = true
          else for (const w of r.value.ops) firstOps.push(await fromWireOp(w, 'patch'))
        }
        // A stream that ends before its end op is a client gone (a stop, a half-close), as an upload
        // that ends before its end marker is: TRANSIENT, so what it wrote is kept for a resume; it
        // failed as a bad delta (CHECKSUM), which dropped the partial it came from (review 3 #1).
        let sawEnd = false
        async function* ops(): AsyncGenerator<DeltaOp> {
          for (const op of firstOps) {
            if (op.type === 'end') sawEnd = true
            yield op
          }
          while (!ended) {
            const r = await it.next()
            if (r.done) break
            for (const w of r.value.ops) {
              const op = await fromWireOp(w, 'patch')
              if (op.type === 'end') sawEnd = true
              yield op
            }
          }
          if (!sawEnd) throw new SyncError('TRANSIENT', 'the patch ended before its end', { op: 'serve.patch' })
        }
        // One turn for the base and the temp file: a turn stands for two handles (see openFilesCap).
        return gate.run('patch', signal, () =>
          locks.shared(full, async () => {
            await tree.checkParents(full)
            const base = header.fromPartial ? undefined : await tree.lstat(full)
            if (
              base?.kind === 'file' &&
              isWholeBaseCopy(firstOps, base.size, blockSize) &&
              header.sha256 === undefined
            ) {
              const opts = { ...(expect !== undefined ? { expect } : {}), signal }
              const touched = await touchIfUnchanged(backend, tree, rel, full, firstOps, meta, opts)
              if (touched !== undefined) return { entry: toWireEntry(touched) }
            }
            // The base is opened once, at the first copy op, and read from for all of them: the bytes
            // go straight into the writer's buffers (see LocalBackend's write of a Fillable body).
            let opened: Promise<OpenBase> | undefined
            const baseFile: BaseFile = {
              readAt: async (buf, offset, length, position) => {
                opened ??= tree.openBase(basePath)
                return (await opened).readAt(buf, offset, length, position)
              },
            }
            try {
              const body = applyDelta(baseFile, blockSize, ops(), {
                path: rel,
                signal,
                ...(header.sha256 !== undefined ? { sha256: header.sha256 } : {}),
              })
              // Interrupted, what it wrote is the file's partial in turn (more of the file, mostly).
              const wopts: LocalWriteOptions = {
                ...(expect !== undefined ? { expect } : {}),
                signal,
                keepPartial: true,
                partialFromStart: false,
                ...(header.fromPartial ? { partialIsBase: true } : {}),
              }
              const entry = await backend.write(rel, body, meta, wopts)
              // Its sha256 is not known (the delta is checked with XXH3-128): the index hashes it if asked.
              index.record(full, entry, undefined)
              return { entry: toWireEntry(entry) }
            } finally {
              await opened?.then((f) => f.close()).catch(() => {})
            }
          }),
        )
      }
      run().then(
        (res) => callback(null, res),
        (err: unknown) => callback(fail('patch', err)),
      )
    },

    Delta: (call) => {
      const ac = new AbortController()
      call.on('cancelled', () => ac.abort())
      let release: (() => void) | undefined
      const run = async () => {
        admit(call.metadata)
        let assembler: SignatureAssembler | undefined
        let target: { full: RelPath; gzip: boolean; pin: ReadOptions; length: number | undefined } | undefined
        // Not `for await (… of call)`: that destroys the duplex at the end of the requests, and
        // with it the response half still to be written.
        const requests = call.iterator({ destroyOnReturn: false }) as AsyncIterableIterator<DeltaRequest__Output>
        for await (const m of quietLimit(requests, quietMs, 'delta')) {
          if (assembler === undefined) {
            const h = m.header
            if (!h) throw new SyncError('USAGE', 'a delta request must start with its header', { op: 'serve.delta' })
            // As Signature's: 1-byte blocks made a signature of 12 bytes per byte of the client's file.
            if (h.blockSize < MIN_REQUESTED_BLOCK_SIZE || h.blockSize > MAX_REQUESTED_BLOCK_SIZE) {
              throw new SyncError(
                'USAGE',
                `block size ${h.blockSize} is out of range (${MIN_REQUESTED_BLOCK_SIZE} to ${MAX_REQUESTED_BLOCK_SIZE})`,
                { op: 'serve.delta' },
              )
            }
            const { full } = await resolve(h.root, h.path)
            const expect = fromWireExpect(h.expect, full) ?? undefined
            const pin = { ...(expect ? { expect } : {}), ...(h.tolerateChanges ? { tolerateChanges: true } : {}) }
            target = { full, gzip: h.gzip, pin, length: h.length }
            // The signature is held whole until the client has sent it, then indexed (a table 2 to 3
            // times its size for most files): room for both in the budget of all Deltas first (the
            // header's figures are checked by the assembler just after).
            const sized = Number.isSafeInteger(h.size) && h.size >= 0
            const blocks = sized ? Math.ceil(h.size / h.blockSize) : 0
            const table = sized ? SignatureIndex.bytesFor(h.size, h.blockSize) : 0
            release = await ctx.signatures.hold(
              blocks * (4 + Math.min(h.strongBytes, MAX_STRONG_BYTES)) + table,
              ac.signal,
            )
            assembler = new SignatureAssembler(
              { blockSize: h.blockSize, size: h.size, strongBytes: h.strongBytes },
              'delta',
            )
          }
          assembler.add({ weak: m.weak, strong: m.strong })
        }
        if (!assembler || !target) throw new SyncError('USAGE', 'empty delta request', { op: 'serve.delta' })
        const sig = assembler.finish()
        const { full, pin, length } = target
        // Only now the file is opened, and it stays open while the ops are sent.
        await gate.run('delta', ac.signal, async () => {
          // generateDelta copies each chunk before asking for the next: a reused buffer is safe.
          const source = tree.scanFile(full, pin, length)
          const gzip = ctx.compress || target.gzip
          for await (const ops of batchOps(generateDelta(source, sig, { signal: ac.signal }), { gzip })) {
            await writeMessage(call, { ops })
            if (call.cancelled) return
          }
        })
      }
      run()
        .finally(() => release?.())
        .then(
          () => call.end(),
          (err: unknown) => {
            if (!call.cancelled) call.emit('error', fail('delta', err))
          },
        )
    },

    Remove: unary('remove', async (req) => {
      writable('remove')
      const { rel, full, backend } = await resolve(req.root, req.path)
      const expect = fromWireExpect(req.expect, rel)
      // Exclusive with an expected entry: another client's write of the path (shared, until its
      // rename) lands before the check, which then sees it and refuses, or waits until the remove is
      // done; under a shared lock it could land between the check and the unlink, and be deleted
      // after it was reported done.
      const lock = expect !== undefined ? locks.exclusive.bind(locks) : locks.shared.bind(locks)
      await lock(full, async () => {
        await tree.checkParents(full)
        await backend.remove(rel, expect ? { expect } : {})
        index.forget(full)
      })
      return {}
    }),

    Flush: unary('flush', async (req) => {
      const rels: RelPath[] = []
      let flushing: Backend | undefined
      for (const path of req.paths) {
        const { rel, backend } = await resolve(req.root, path)
        rels.push(rel)
        flushing = backend
      }
      if (flushing !== undefined && supports.flush(flushing)) await flushing.flush(rels, { contents: req.contents })
      return {}
    }),

    Move: unary('move', async (req) => {
      writable('move')
      const from = await resolve(req.root, req.from)
      const { rel, full, backend } = await resolve(req.root, req.to)
      need(backend, 'move')
      const expect = fromWireExpect(req.expect, rel)
      // Exclusive: a move can put a symlink (or a tree holding one) at `full`.
      return locks.exclusive(full, async () => {
        await tree.checkParents(from.full)
        await tree.checkParents(full)
        if (!supports.move(backend)) throw new SyncError('UNSUPPORTED', 'no move')
        const entry = await backend.move(from.rel, rel, expect !== undefined ? { expect } : {})
        index.moved(from.full, full)
        return { entry: toWireEntry(entry) }
      })
    }),

    Copy: unary('copy', async (req, signal) => {
      writable('copy')
      const from = await resolve(req.root, req.from)
      const { rel, full, backend } = await resolve(req.root, req.to)
      const expect = fromWireExpect(req.expect, rel)
      return gate.run('copy', signal, () =>
        locks.shared(full, async () => {
          await tree.checkParents(full)
          const src = await tree.lstat(from.full)
          if (src?.kind !== 'file')
            throw new SyncError('NOT_FOUND', 'no such file', { op: 'serve.copy', path: from.rel })
          // Through the guarded read, not copyFile: the source is checked inside the tree after opening.
          const { tap, digest } = sha256Tap()
          const body = chain(await tree.readFile(from.full), tap)
          const meta = { size: src.size, mtimeMs: src.mtimeMs, ...(src.mode !== undefined ? { mode: src.mode } : {}) }
          const entry = await backend.write(rel, body, meta, { ...(expect !== undefined ? { expect } : {}), signal })
          index.record(full, entry, digest())
          return { entry: toWireEntry(entry) }
        }),
      )
    }),

    Hash: unary('hash', async (req, signal) => {
      const { full } = await resolve(req.root, req.path)
      const algo = req.algo as HashAlgo
      if (!HASH_ALGOS.includes(algo)) throw new SyncError('UNSUPPORTED', `unknown hash ${JSON.stringify(req.algo)}`)
      const h = createHash(algo)
      await gate.run('hash', signal, async () => {
        for await (const chunk of tree.scanFile(full)) h.update(chunk)
      })
      return { hex: h.digest('hex') }
    }),

    SetMtime: unary('setMtime', async (req) => {
      writable('setMtime')
      const { rel, full, backend } = await resolve(req.root, req.path)
      checkWireMtime(req.mtimeMs, 'setMtime')
      return locks.shared(full, async () => {
        await tree.checkParents(full)
        if (!supports.setMtime(backend)) throw new SyncError('UNSUPPORTED', 'this server cannot set mtimes')
        return { entry: toWireEntry(await backend.setMtime(rel, req.mtimeMs)) }
      })
    }),

    SetMode: unary('setMode', async (req) => {
      writable('setMode')
      const { rel, full, backend } = await resolve(req.root, req.path)
      if (!Number.isInteger(req.mode) || req.mode < 0 || req.mode > 0o7777) throw new SyncError('USAGE', 'bad mode')
      return locks.shared(full, async () => {
        await tree.checkParents(full)
        if (!supports.setMode(backend)) throw new SyncError('UNSUPPORTED', 'this server cannot set modes')
        return { entry: toWireEntry(await backend.setMode(rel, req.mode)) }
      })
    }),

    Mkdir: unary('mkdir', async (req) => {
      writable('mkdir')
      const { rel, full, backend } = await resolve(req.root, req.path)
      // As SetMtime: a NaN (or 1e300) from a raw client was UNKNOWN in Node's words, after the mkdir was made.
      if (req.mtimeMs !== undefined) checkWireMtime(req.mtimeMs, 'mkdir')
      await locks.shared(full, async () => {
        await tree.checkParents(full)
        if (!supports.mkdir(backend)) throw new SyncError('UNSUPPORTED', 'this server cannot create directories')
        await backend
          .mkdir(rel, {
            ...(req.mode !== undefined ? { mode: req.mode } : {}),
            ...(req.mtimeMs !== undefined ? { mtimeMs: req.mtimeMs } : {}),
          })
          .catch((err: unknown) => {
            throw inTheWay(err)
          })
      })
      return {}
    }),

    Symlink: unary('symlink', async (req) => {
      writable('symlink')
      const { rel, full, backend } = await resolve(req.root, req.path)
      const expect = fromWireExpect(req.expect, rel)
      // A symlink never replaces a directory (the rename onto it fails), so one there now is refused
      // at once, without the exclusive lock: that lock waits for every write below the directory to
      // end and meanwhile holds each new one from every client, so one slow upload into `d/` made
      // another client's symlink `d` hang until it was done, the subtree frozen for all (QA 31g #2).
      // Nothing is changed here, so a directory removed just after this check loses nothing.
      if ((await tree.lstat(full).catch(() => undefined))?.kind === 'dir') {
        throw inTheWay(
          new SyncError('CONFLICT', 'a directory is in the way of the symlink', { op: 'serve.symlink', path: rel }),
        )
      }
      await locks.exclusive(full, async () => {
        await tree.checkParents(full)
        if (!supports.symlink(backend)) throw new SyncError('UNSUPPORTED', 'this server cannot create symlinks')
        await backend.symlink(rel, req.linkTarget, expect !== undefined ? { expect } : {})
        index.forget(full)
      })
      return {}
    }),

    Watch: serverStream('watch', async (req, call, signal) => {
      const backend = await tree.backend(rootOf(req.root))
      need(backend, 'watch')
      if (!supports.watch(backend)) return
      await new Promise<void>((resolve, reject) => {
        // Told once the watcher reports every later change: a recursive watcher is armed only after
        // walking the tree, and a client that took its snapshot before then missed what changed in
        // between until its next rescan (an hour by default).
        let told = false
        const ready = (): void => {
          if (told) return
          told = true
          void writeMessage(call, { ready: true })
        }
        const announces = backend.capabilities.watchReady === true
        const sub = backend.watch({ signal, ...(announces ? { onReady: ready } : {}) }).subscribe({
          next: (c) => {
            void writeMessage(call, {
              type: c.type === 'upsert' ? 'UPSERT' : c.type === 'remove' ? 'REMOVE' : 'RENAME',
              path: c.path,
              ...(c.from !== undefined ? { from: c.from } : {}),
            })
          },
          error: reject,
          complete: resolve,
        })
        // A watcher that does not announce readiness reports every change once subscribed.
        if (!announces && !sub.closed) ready()
        signal.addEventListener('abort', () => {
          sub.unsubscribe()
          resolve()
        })
      })
    }),

    FindContent: unary('findContent', async (req, signal) => {
      const sub = rootOf(req.root)
      // Building the index lists the tree (directories open), finding content hashes files.
      if (req.sha256 === undefined)
        return { maybe: await gate.run('findContent', signal, () => index.hasSize(req.size)) }
      // With a sha256 it copies the bytes it found to `path`: a write.
      writable('findContent')
      if (!/^[0-9a-f]{64}$/.test(req.sha256)) throw new SyncError('USAGE', 'bad sha256')
      const wanted = req.sha256
      const { rel, full, backend } = await resolve(sub, req.path)
      const meta = fromWireMeta(req.meta, 'findContent')
      const expect = fromWireExpect(req.expect, rel)
      return gate.run('findContent', signal, () =>
        locks.shared(full, async () => {
          const found = await index.find(req.size, wanted)
          if (found === undefined) return { maybe: false }
          await tree.checkParents(full)
          // Verified while copying: a file changed since it was hashed fails the write, atomically.
          const { tap, digest } = sha256Tap()
          const check = new Transform({
            transform: (chunk, _e, cb) => cb(null, chunk),
            flush: (cb) => cb(digest() === wanted ? null : new SyncError('CHECKSUM', 'indexed file changed')),
          })
          const body = chain(await tree.readFile(found), tap, check)
          try {
            const entry = await backend.write(rel, body, meta, { ...(expect !== undefined ? { expect } : {}), signal })
            index.record(full, entry, wanted)
            return { maybe: true, entry: toWireEntry(entry) }
          } catch (err) {
            if (err instanceof SyncError && err.code === 'CHECKSUM') {
              index.forget(found)
              return { maybe: false }
            }
            throw err
          }
        }),
      )
    }),
  }
  return handlers
}

/** `first` piped through `rest`, as one stream whose error is any stage's (unlike `.pipe`). */
function chain(first: Readable, ...rest: Transform[]): Readable {
  if (rest.length === 0) return first
  return pipeline([first, ...rest], () => {}) as unknown as Readable
}
