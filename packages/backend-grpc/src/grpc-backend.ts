import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { CallOptions, ChannelOptions, ClientReadableStream, Metadata, ServiceError } from '@grpc/grpc-js'
import { type DirectoryChain, PARTIAL_MIN_BYTES } from '@syncflow/backend-local'
import {
  type Backend,
  bareMessage,
  type Capabilities,
  type Change,
  type Copyable,
  type CopyFromCapable,
  compareEntries,
  type DeltaCapable,
  type DeltaFromOptions,
  type DeltaOp,
  type DeltaSource,
  type DirCreatable,
  deltaOpBytes,
  type Entry,
  type FileSignature,
  generateDelta,
  type HashAlgo,
  type Hashable,
  isSyncError,
  type ListOptions,
  type ModeSettable,
  type Movable,
  type MtimeSettable,
  type RateLimiter,
  type ReadOptions,
  type ReadRange,
  type RelPath,
  type RemoveOptions,
  SIGNATURE_IN_PROGRESS,
  type SignatureInProgress,
  type StatOptions,
  type Symlinkable,
  SyncError,
  supports,
  symlinkSkipped,
  toRelPath,
  type Watchable,
  type WriteMeta,
  type WriteOptions,
} from '@syncflow/core'
import { Observable } from 'rxjs'
import { checkTokenText } from './check-token-text.js'
import { closesAtOnce } from './closes-at-once.js'
import type { EntryReply__Output } from './generated/syncflow/v1/EntryReply.js'
import type { FindContentReply__Output } from './generated/syncflow/v1/FindContentReply.js'
import type { HashReply__Output } from './generated/syncflow/v1/HashReply.js'
import type { HelloReply__Output } from './generated/syncflow/v1/HelloReply.js'
import type { ListReply__Output } from './generated/syncflow/v1/ListReply.js'
import type { StatReply__Output } from './generated/syncflow/v1/StatReply.js'
import type { SyncflowClient } from './generated/syncflow/v1/Syncflow.js'
import type { WriteRequest } from './generated/syncflow/v1/WriteRequest.js'
import { InFlightCalls } from './in-flight-calls.js'
import { type GrpcLocation, parseGrpcUri } from './parse-grpc-uri.js'
import { readCaFile } from './read-ca-file.js'
import { readTokenFile } from './read-token-file.js'
import { ROOT_ID_HEADER } from './server/served-root.js'
import { socketsOpenedIn } from './sockets-opened-in.js'
import { speaksTls } from './speaks-tls.js'
import { notGrpcError, notGrpcIn, toSyncError } from './to-sync-error.js'
import { fromWireEntry, toWireExpect, toWireMeta } from './wire/entry-codec.js'
import { gunzipChunk } from './wire/gzip-chunk.js'
import { loadProtocol, PROTOCOL_VERSION, type Protocol } from './wire/load-protocol.js'
import { batchOps, fromWireOp } from './wire/op-codec.js'
import { SignatureAssembler, signatureBatches } from './wire/signature-codec.js'
import { clientStream, sendAll } from './wire/streams.js'
import { WRITE_MANY_FILE_BYTES, WriteManyStream } from './write-many-stream.js'

/** Options of `createGrpcBackend`. */
export interface GrpcBackendOptions {
  /** `grpc://host:port/dir` or `grpcs://…` (TLS); `dir` is below the server's `--root`. */
  readonly uri: string
  /** The server's token. [`tokenFile`, else the `SYNCFLOW_TOKEN` environment variable, else none] */
  readonly token?: string
  /** A file whose first line is the token. */
  readonly tokenFile?: string
  /** PEM file of the CA that signed the server's certificate (grpcs://). [the system's roots] */
  readonly caFile?: string
  /** gzip both ways: what the client sends (gRPC compression) and what it receives in bulk. [false] */
  readonly compress?: boolean
  /** Block size of delta signatures when the engine passes 0. [from the file size] */
  readonly blockSize?: number
  /** Largest message sent or accepted, bytes. [16 MiB] */
  readonly maxMessageBytes?: number
  /** Deadline of each non-streaming call once connected (Hello's answer too). [`ioTimeoutMs`, else 60 s] */
  readonly timeoutMs?: number
  /**
   * I/O timeout (the CLI's `--timeout`, rsync's): a call fails `TRANSIENT` when the server sends or
   * takes nothing for this long while the client waits on it (the next message of a stream, room
   * to send more, the answer at the end). The time the client spends elsewhere (a slow source or
   * target on its side) does not count. Not for `hash` (the server reads the whole file first) nor
   * `watch` (quiet while nothing changes). [none: a dead connection is noticed by keepalive pings]
   */
  readonly ioTimeoutMs?: number
  /**
   * Connection timeout (the CLI's `--contimeout`): `createGrpcBackend` fails `TRANSIENT` when no
   * connection to the server is established within this long (an address that drops the packets,
   * or accepts and never answers). A refused connection fails at once. It alone bounds connecting,
   * as rsync's: `ioTimeoutMs` and `timeoutMs` start when the connection is made. [60 s]
   */
  readonly connectTimeoutMs?: number
  /** Where `SYNCFLOW_TOKEN` is read from. [process.env] */
  readonly env?: Readonly<Record<string, string | undefined>>
  /**
   * Symlinks below the root (`--symlinks`): `preserve` lists them as symlinks; `skip` leaves them
   * out; `follow` cannot be done, since `syncflow serve` never follows a symlink (so that no client
   * can make it read outside its root): each is reported to the listing's `onError` (UNSUPPORTED)
   * and left out, like a dangling symlink of a local directory. [preserve]
   */
  readonly symlinks?: SymlinkPolicy
  /**
   * The directories a write, copy or symlink makes below the root are 0700, not the server's
   * umask's 0755: for a `--backup-dir`, where a file kept below a directory that was private on the
   * target (0700 over 0644 files) must not become readable by others on the server, as a local
   * backup directory's are made (QA 30b). Each is made (Mkdir) before the first write below it,
   * once a client; one that exists is left as it is. [false]
   */
  readonly privateDirs?: boolean
}

/** What `--symlinks` asks of symlinks below the root. */
export type SymlinkPolicy = 'preserve' | 'follow' | 'skip'
const SYMLINK_POLICIES: readonly SymlinkPolicy[] = ['preserve', 'follow', 'skip']

/** The error for a symlink that `--symlinks follow` would follow on a syncflow server. */
function notFollowed(path: string, op: string): SyncError {
  return new SyncError(
    'UNSUPPORTED',
    'symlink not followed: syncflow serve never follows symlinks (no client can make it read outside its root); skipped',
    {
      op: `grpc.${op}`,
      path,
      hint: 'Use --symlinks preserve to copy symlinks as symlinks (the default), or --symlinks skip to leave them out.',
    },
  )
}

/** Bytes of file data per Write message. */
const CHUNK = 256 * 1024
/** gRPC's status UNAVAILABLE (the SDK itself is loaded lazily). */
const UNAVAILABLE = 14
/** gRPC's status DEADLINE_EXCEEDED. */
const DEADLINE_EXCEEDED = 4
/** Smallest file worth asking the server's content index about (hashing it costs a local read). */
const CONTENT_LOOKUP_MIN_SIZE = 1 << 20

/**
 * Small writes (`Capabilities.groupCommit`) the engine keeps in flight into a server at once. The
 * server writes through a local backend, which makes small files durable in groups (one `syncfs`
 * each, the rename only after it), so each Write is answered only once its group is flushed; with
 * the engine's default of 8 at once, a group held at most 8 files, and an initial sync of 10,000
 * empty files spent most of its time waiting on flushes (both sides idle about 70% of a 22 s run:
 * ~450 files/s, against ~700 at 64; perf investigation QA 30a). 64 is where both sides became
 * CPU-bound on the 2-core measuring machine; file data in flight stays under 64 × 64 KiB.
 */
const GROUP_COMMIT_WRITES = 64

/**
 * A remote directory behind `syncflow serve`, over gRPC (proto/syncflow.proto). Every path the
 * server sends is validated as a RelPath and listings are checked to be in order, so a hostile
 * server can neither make the engine write outside its target nor break the merge-join. Streams
 * carry 256 KiB chunks with HTTP/2 flow control; nothing is buffered whole. Offers delta transfer
 * both ways (`signature`/`patch` when the server holds the target, `deltaFrom` when it holds the
 * source) and the server's content index (`copyFrom`: bytes the server already has are copied
 * there, not sent). Errors are SyncErrors (`to-sync-error.ts`); UNAVAILABLE and friends are TRANSIENT.
 */
export class GrpcBackend
  implements
    Backend,
    Movable,
    Copyable,
    CopyFromCapable,
    Hashable,
    MtimeSettable,
    ModeSettable,
    DirCreatable,
    Symlinkable,
    Watchable,
    DeltaCapable,
    DeltaSource
{
  readonly uri: string
  readonly capabilities: Capabilities
  /** The optional RPCs the server offers (from Hello). */
  readonly features: ReadonlySet<string>
  /** The server's version (from Hello). */
  readonly serverVersion: string
  /**
   * Where this root lies on the server's disk, by identity (from Hello; empty ids from a server
   * before it): lets a client on the same host see a local directory that contains it.
   */
  readonly rootChain: DirectoryChain
  readonly #client: SyncflowClient
  /** The client's calls under way: `close` cancels them (see InFlightCalls). */
  readonly #calls: InFlightCalls
  readonly #root: string
  readonly #token: string | undefined
  readonly #timeoutMs: number
  readonly #ioTimeoutMs: number | undefined
  readonly #blockSize: number
  readonly #compress: boolean
  readonly #protocol: Protocol
  readonly #symlinks: SymlinkPolicy
  /** `host:port`, named in the hint of a connection failure. */
  readonly #server: string
  /**
   * The served directory's identity from Hello (HelloReply.served_root_id), sent on every call: a
   * server restarted on the same address with another --root refuses them, instead of the run
   * writing its rest there (grpc-js reconnects by itself: nothing says Hello again). Undefined from
   * a server before it.
   */
  readonly #servedRootId: string | undefined
  #closed = false
  /** `GrpcBackendOptions.privateDirs`. */
  readonly #privateDirs: boolean
  /** Under `privateDirs`: the directories made (or found) so far, each once, by path. */
  readonly #madeDirs = new Map<string, Promise<void>>()
  /** Small files' uploads (feature "writeMany"), made with the first of them. */
  #writeMany: WriteManyStream | undefined

  /** Use `createGrpcBackend`, which connects and asks the server what it offers. */
  constructor(
    location: GrpcLocation,
    client: SyncflowClient,
    calls: InFlightCalls,
    hello: HelloReply__Output,
    protocol: Protocol,
    options: {
      token?: string | undefined
      timeoutMs: number
      ioTimeoutMs?: number | undefined
      blockSize: number
      compress: boolean
      symlinks?: SymlinkPolicy
      privateDirs?: boolean
    },
  ) {
    this.uri = location.uri
    this.#root = location.root
    this.#server = location.target
    this.#servedRootId = hello.servedRootId || undefined
    this.#client = client
    this.#calls = calls
    this.#protocol = protocol
    this.#token = options.token
    this.#timeoutMs = options.timeoutMs
    this.#ioTimeoutMs = options.ioTimeoutMs
    this.#blockSize = options.blockSize
    this.#compress = options.compress
    this.#symlinks = options.symlinks ?? 'preserve'
    this.#privateDirs = options.privateDirs === true
    this.features = new Set(hello.features)
    this.serverVersion = hello.serverVersion
    this.rootChain = { exists: hello.rootChain?.exists ?? false, ids: hello.rootChain?.ids ?? [] }
    const c = hello.capabilities
    const hashes = (c?.hashes ?? []).filter((h): h is HashAlgo => h === 'md5' || h === 'sha1' || h === 'sha256')
    this.capabilities = {
      hashes: this.features.has('hash') ? hashes : [],
      mtimePrecisionMs: c && c.mtimePrecisionMs > 0 ? c.mtimePrecisionMs : 1000,
      listMtime: c?.listMtime ?? true,
      emptyDirs: (c?.emptyDirs ?? false) && this.features.has('mkdir'),
      // As a local directory: symlinks are stored (and listed) as such only when preserved.
      symlinks: (c?.symlinks ?? false) && this.features.has('symlink') && this.#symlinks === 'preserve',
      permissions: c?.permissions ?? false,
      caseSensitive: c?.caseSensitive ?? true,
      ...(c?.maxPathBytes !== undefined ? { maxPathBytes: c.maxPathBytes } : {}),
      watch: this.features.has('watch') && (c?.watch === 'native' || c?.watch === 'poll') ? c.watch : 'none',
      // A server before it never says when its watcher is armed: the engine takes the watch as ready
      // at once, as it did.
      ...(this.features.has('watch') && this.features.has('watchReady') ? { watchReady: true } : {}),
      ...(c?.clearsSetId ? { clearsSetId: true } : {}),
      // The server re-checks a delete's planned entry under its path lock: the engine's Stat before
      // each Remove left a round trip in which another client's write could land, then be deleted.
      ...(this.features.has('removeExpect') ? { removeExpect: true } : {}),
      groupCommit: GROUP_COMMIT_WRITES,
      // --bwlimit holds what a write sends (`held`), not the body read: a resumed upload sends less.
      meteredWrites: true,
    }
  }

  list(opts: ListOptions = {}): AsyncIterable<Entry> {
    const self = this
    return {
      async *[Symbol.asyncIterator]() {
        self.#assertOpen('list')
        const call = self.#client.List({ root: self.#root, cleanUp: opts.cleanUp === true }, self.#metadata(), {})
        const onAbort = () => call.cancel()
        opts.signal?.addEventListener('abort', onAbort, { once: true })
        let previous: Entry | undefined
        let pruned: string | undefined // a directory whose contents are skipped (they follow it in order)
        const it = (call as AsyncIterable<ListReply__Output>)[Symbol.asyncIterator]()
        try {
          for (;;) {
            const next = await self.#peer(it.next(), call, 'list')
            if (next.done === true) break
            const reply = next.value
            for (const n of reply.notices) {
              opts.onNotice?.({ code: n.code as never, message: n.message, ...(n.path ? { path: n.path } : {}) })
            }
            for (const p of reply.problems) {
              const code = codeOf(p.code)
              // A name the server cannot list (not UTF-8, a control character…) that the run's filters
              // exclude is skipped without a word, as a local listing does: reported, it would
              // make every run from this server incomplete, and delete nothing, for good.
              if (code === 'INVALID_PATH' && p.path !== undefined && opts.excluded?.(p.path)) continue
              const err = new SyncError(code, p.message, {
                op: 'grpc.list',
                ...(p.path !== undefined ? { path: p.path } : {}),
                ...(p.hint
                  ? { hint: p.hint }
                  : code === 'INVALID_PATH'
                    ? { hint: 'Rename it on the server, or exclude it with --exclude.' }
                    : {}),
              })
              if (!opts.onError) throw err
              opts.onError(err)
            }
            for (const w of reply.entries) {
              let entry: Entry
              try {
                entry = fromWireEntry(w, 'list')
              } catch (err) {
                if (!opts.onError || !(err instanceof SyncError)) throw err
                opts.onError(err)
                continue
              }
              if (previous !== undefined && compareEntries(previous, entry) >= 0) {
                throw new SyncError('UNSUPPORTED', `listing out of order at ${JSON.stringify(entry.path)}`, {
                  op: 'grpc.list',
                  hint: 'The server is not a syncflow server of a compatible version.',
                })
              }
              previous = entry
              if (pruned !== undefined && entry.path.startsWith(pruned)) continue
              pruned = undefined
              if (entry.kind === 'symlink' && self.#symlinks !== 'preserve') {
                // An excluded one is skipped without a word, as a local listing does (QA 14 #1).
                if (self.#symlinks === 'follow' && opts.excluded?.(entry.path) !== true) {
                  const err = notFollowed(entry.path, 'list')
                  if (!opts.onError) throw err
                  opts.onError(err)
                }
                // Said, so that a mirror keeps what the target has there, as from a local source
                // (review 20 #2: QA 20 F1 over gRPC).
                if (self.#symlinks === 'skip') opts.onNotice?.(symlinkSkipped(entry.path))
                continue
              }
              if (entry.kind === 'dir' && opts.prune?.(entry.path)) pruned = `${entry.path}/`
              yield entry
            }
          }
        } catch (err) {
          throw rootNotDirectory(self.#error(err, 'list', undefined, opts.signal), self.#root, self.uri)
        } finally {
          opts.signal?.removeEventListener('abort', onAbort)
          call.cancel()
        }
      },
    }
  }

  async stat(path: RelPath, opts: StatOptions = {}): Promise<Entry | undefined> {
    const rel = this.#rel(path, 'stat')
    let reply: StatReply__Output
    try {
      reply = await this.#unary<StatReply__Output>('stat', rel, (md, o, cb) =>
        this.#client.Stat({ root: this.#root, path: rel }, md, o, cb),
      )
    } catch (err) {
      // A `syncflow serve` older than 37e8c05 refuses a stat below a symlink inside the client's
      // root (INVALID_PATH "goes through the symlink sy/y") where a newer one, a local directory
      // and the listing all say absent: against such a server a watch into grpc:// failed its cycle
      // (deletes held) when a source's y/z came and went while y was a symlink on both sides
      // (QA 31m). Taken as absent here too; a client root through a symlink is still refused.
      if (belowLinkInRoot(err, this.#root, rel)) return undefined
      throw err
    }
    if (!reply.found) {
      // The server's reason for leaving a path out (a FIFO there; none from an older server).
      for (const n of reply.notices ?? []) {
        opts.onNotice?.({ code: n.code as never, message: n.message, ...(n.path ? { path: n.path } : {}) })
      }
      return undefined
    }
    const entry = this.#sameEntry(fromWireEntry(reply.entry, 'stat'), rel, 'stat')
    if (entry.kind !== 'symlink' || this.#symlinks === 'preserve') return entry
    if (this.#symlinks === 'follow') throw notFollowed(rel, 'stat')
    opts.onNotice?.(symlinkSkipped(rel))
    return undefined
  }

  async read(path: RelPath, range?: ReadRange, opts: ReadOptions = {}): Promise<Readable> {
    const rel = this.#rel(path, 'read')
    const call = this.#client.Read(
      {
        root: this.#root,
        path: rel,
        offset: range?.offset ?? 0,
        ...(range?.length !== undefined ? { length: range.length } : {}),
        gzip: this.#compress,
        // A server older than these fields ignores them: its read is then held to the size only.
        ...(opts.expect ? { expect: toWireExpect(opts.expect) } : {}),
        ...(opts.tolerateChanges ? { tolerateChanges: true } : {}),
      },
      this.#metadata(),
      {},
    )
    const it = (call as AsyncIterable<{ data: Buffer; gzip: boolean }>)[Symbol.asyncIterator]()
    const data = (m: { data: Buffer; gzip: boolean }) => (m.gzip ? gunzipChunk(m.data, 4 * CHUNK, 'read') : m.data)
    // Wait for the first message (or the end, or the error), so a missing file rejects here. The
    // run's abort cancels that wait (ReadOptions.signal): a server that does not answer kept it.
    let first: IteratorResult<{ data: Buffer; gzip: boolean }>
    const onAbort = () => call.cancel()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      if (opts.signal?.aborted) call.cancel()
      first = await this.#peer(it.next(), call, 'read', rel)
    } catch (err) {
      call.cancel()
      throw this.#error(err, 'read', rel, opts.signal)
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
    const fail = (err: unknown) => this.#error(err, 'read', rel)
    const next = () => this.#peer(it.next(), call, 'read', rel)
    async function* bytes(): AsyncGenerator<Buffer> {
      let done = first.done === true
      try {
        if (!first.done) yield await data(first.value)
        while (!done) {
          const r = await next()
          if (r.done) done = true
          else yield await data(r.value)
        }
      } catch (err) {
        throw fail(err)
      } finally {
        if (!done) call.cancel()
      }
    }
    return Readable.from(bytes(), { objectMode: false })
  }

  async write(path: RelPath, body: Readable, meta: WriteMeta, opts: WriteOptions = {}): Promise<Entry> {
    let rel: RelPath
    try {
      rel = this.#rel(path, 'write')
    } catch (err) {
      body.destroy()
      throw err
    }
    try {
      await this.#makePrivateParents(rel)
    } catch (err) {
      body.destroy()
      throw err
    }
    if (this.features.has('writeMany') && meta.size !== undefined && meta.size <= WRITE_MANY_FILE_BYTES) {
      return this.#writeSmall(rel, body, meta, opts)
    }
    return this.#writeOne(rel, body, meta, opts)
  }

  /**
   * A small file in the shared WriteMany stream (see WriteManyStream): read whole first (it is at
   * most 64 KiB), then sent as one message. A file that turns out bigger than its listing said goes
   * as a Write of its own, what was read first included.
   */
  async #writeSmall(rel: RelPath, body: Readable, meta: WriteMeta, opts: WriteOptions): Promise<Entry> {
    const chunks: Buffer[] = []
    let bytes = 0
    try {
      const it = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
      for (let r = await it.next(); !r.done; r = await it.next()) {
        chunks.push(r.value)
        bytes += r.value.length
        if (bytes > WRITE_MANY_FILE_BYTES) {
          const rest = async function* () {
            yield* chunks
            for (let n = await it.next(); !n.done; n = await it.next()) yield n.value
          }
          return await this.#writeOne(rel, Readable.from(rest(), { objectMode: false }), meta, opts)
        }
      }
      opts.onProgress?.(bytes)
      await held(opts.limiter, bytes)
      this.#writeMany ??= new WriteManyStream(
        () => this.#client.WriteMany(this.#metadata()),
        () => new this.#protocol.grpc.Metadata(),
      )
      const stream = this.#writeMany
      const header = { root: this.#root, path: rel, meta: toWireMeta(meta), expect: toWireExpect(opts.expect) }
      const sent = stream.send(header, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), opts.signal)
      // Not answered within the I/O timeout: this file is given up, as its Write would be (the
      // others of the stream may be answered in time), and the server told not to commit it.
      const reply = await this.#peer(
        sent,
        { cancel: () => stream.expire(sent, (path) => this.#silent(this.#ioTimeoutMs ?? 0, 'write', path)) },
        'write',
        rel,
      )
      return this.#sameEntry(fromWireEntry(reply as never, 'write'), rel, 'write')
    } catch (err) {
      body.destroy()
      throw this.#error(err, 'write', rel, opts.signal)
    }
  }

  /** A file in a Write call of its own: header, chunks as read, end; or the rest of an interrupted one. */
  async #writeOne(rel: RelPath, body: Readable, meta: WriteMeta, opts: WriteOptions): Promise<Entry> {
    if (this.features.has('partial') && (meta.size ?? 0) >= PARTIAL_MIN_BYTES) {
      let kept: FileSignature | undefined
      try {
        kept = await this.#signatureOf(rel, 0, opts, true)
      } catch (err) {
        body.destroy()
        throw err
      }
      if (kept !== undefined) return this.#resumeUpload(rel, body, kept, meta, opts)
    }
    const root = this.#root
    const { call, result } = clientStream<WriteRequest, { entry: unknown }>((cb) =>
      this.#client.Write(this.#metadata(), {}, cb as never),
    )
    const onAbort = () => call.cancel()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    let sent = 0
    async function* messages(): AsyncGenerator<WriteRequest> {
      yield {
        header: { root, path: rel, meta: toWireMeta(meta), expect: toWireExpect(opts.expect) },
      }
      let reported = 0
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; off += CHUNK) {
          const data = chunk.subarray(off, off + CHUNK)
          sent += data.length
          await held(opts.limiter, data.length)
          yield { data }
        }
        if (opts.onProgress && sent - reported >= 1 << 20) {
          reported = sent
          opts.onProgress(sent)
        }
      }
      opts.onProgress?.(sent)
      yield { end: { size: sent } }
    }
    try {
      await sendAll(call, messages(), result, (waiting) => this.#peer(waiting, call, 'write', rel))
      const reply = await this.#peer(result, call, 'write', rel)
      return this.#sameEntry(fromWireEntry(reply.entry as never, 'write'), rel, 'write')
    } catch (err) {
      body.destroy()
      const e = this.#error(err, 'write', rel, opts.signal)
      // Stopped mid-upload: the server keeps what it wrote, once that is 1 MiB or more, for the next
      // run. What it wrote trails what was sent (in flight, buffered), and only it knows how much:
      // said as what it is (a stop just past 1 MiB sent said "kept" where the server kept nothing).
      if (e.code === 'ABORTED' && this.features.has('partial') && sent >= PARTIAL_MIN_BYTES) {
        opts.resume?.kept(
          `upload of ${rel} stopped (${sent} of ${meta.size} bytes sent): what the server wrote of it, from 1 MiB on, is kept there for resume, and the next run sends only the rest`,
        )
      }
      throw e
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Flushable: the server makes the named entries durable (Flush). A server before "flush" cannot:
   * nothing is done (its writes are fsynced file by file, their directories not).
   */
  async flush(paths: readonly RelPath[], opts: { readonly contents?: boolean } = {}): Promise<void> {
    if (!this.features.has('flush') || paths.length === 0) return
    const rels = paths.map((p) => this.#rel(p, 'flush'))
    await this.#unary<unknown>('flush', rels[0], (md, o, cb) =>
      this.#client.Flush({ root: this.#root, paths: rels, contents: opts.contents === true }, md, o, cb),
    )
  }

  async remove(path: RelPath, opts: RemoveOptions = {}): Promise<void> {
    const rel = this.#rel(path, 'remove')
    // (A server before "removeExpect" ignores the field: the engine then Stats first, as it did.)
    const expect = opts.expect !== undefined && this.features.has('removeExpect') ? toWireExpect(opts.expect) : null
    await this.#unary<unknown>('remove', rel, (md, o, cb) =>
      this.#client.Remove({ root: this.#root, path: rel, ...(expect ? { expect } : {}) }, md, o, cb),
    )
  }

  /**
   * Closes the connection. Calls still under way are cancelled (a server that never answers one,
   * stalled or broken, would otherwise hold it, and the process, open): each fails `ABORTED`, and the
   * server commits none of the writes it was given, as for a client that went away.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#calls.cancelAll('the backend was closed')
    this.#client.close()
  }

  async rootExists(): Promise<boolean> {
    this.#assertOpen('rootExists')
    const hello = await this.#unary<HelloReply__Output>('rootExists', undefined, (md, o, cb) =>
      this.#client.Hello({ root: this.#root, protocol: PROTOCOL_VERSION }, md, o, cb),
    )
    return hello.rootExists
  }

  async move(from: RelPath, to: RelPath, opts: WriteOptions = {}): Promise<Entry> {
    const src = this.#rel(from, 'move')
    const dst = this.#rel(to, 'move')
    const reply = await this.#unary<EntryReply__Output>('move', src, (md, o, cb) =>
      this.#client.Move({ root: this.#root, from: src, to: dst, expect: toWireExpect(opts.expect) }, md, o, cb),
    )
    return this.#sameEntry(fromWireEntry(reply.entry, 'move'), dst, 'move')
  }

  async copy(from: RelPath, to: RelPath, opts: WriteOptions = {}): Promise<Entry> {
    const src = this.#rel(from, 'copy')
    const dst = this.#rel(to, 'copy')
    const reply = await this.#unary<EntryReply__Output>('copy', src, (md, o, cb) =>
      this.#client.Copy({ root: this.#root, from: src, to: dst, expect: toWireExpect(opts.expect) }, md, o, cb),
    )
    return this.#sameEntry(fromWireEntry(reply.entry, 'copy'), dst, 'copy')
  }

  /**
   * The server's content index: when the server already holds a file with the bytes of
   * `source:sourcePath` (a copy, a renamed file), it copies it to `path` locally and nothing is
   * uploaded. Asked only for new files of at least 1 MiB, and the source is hashed only when the
   * server has some file of that size. `undefined` = not found: the engine uploads. A copy made
   * there tells `opts.onWireBytes` what crossed the wire (the lookups, not the file) and
   * `opts.onProgress` the whole size (the file is done).
   */
  async copyFrom(
    source: Backend,
    sourcePath: RelPath,
    path: RelPath,
    meta: WriteMeta,
    opts: WriteOptions & { readonly onWireBytes?: (bytes: number) => void } = {},
  ): Promise<Entry | undefined> {
    const rel = this.#rel(path, 'copyFrom')
    // Updates go through the delta (the old version is a better base than any lookup).
    if (opts.expect || meta.size === undefined || meta.size < CONTENT_LOOKUP_MIN_SIZE) return undefined
    if (!this.features.has('findContent')) return undefined
    const size = meta.size
    const ask = { root: this.#root, size, path: '' }
    const probe = await this.#unary<FindContentReply__Output>('copyFrom', rel, (md, o, cb) =>
      this.#client.FindContent(ask, md, o, cb),
    )
    if (!probe.maybe) return undefined
    const sha256 = meta.hashes?.sha256 ?? (await sha256Of(source, sourcePath, opts.signal))
    await this.#makePrivateParents(rel)
    const request = {
      root: this.#root,
      size,
      sha256,
      path: rel,
      meta: toWireMeta(meta),
      expect: toWireExpect(opts.expect),
    }
    const reply = await this.#unary<FindContentReply__Output>('copyFrom', rel, (md, o, cb) =>
      this.#client.FindContent(request, md, o, cb),
    )
    if (!reply.entry) return undefined
    // What went out: the two lookups (as a delta counts its instructions), none of the file's bytes.
    const encode = this.#protocol.proto.syncflow.v1.Syncflow.service.FindContent.requestSerialize
    opts.onWireBytes?.(encode(ask).length + encode(request).length)
    opts.onProgress?.(size)
    return this.#sameEntry(fromWireEntry(reply.entry, 'copyFrom'), rel, 'copyFrom')
  }

  async hash(path: RelPath, algo: HashAlgo, opts: { signal?: AbortSignal } = {}): Promise<string> {
    const rel = this.#rel(path, 'hash')
    const reply = await this.#unary<HashReply__Output>(
      'hash',
      rel,
      (md, o, cb) => this.#client.Hash({ root: this.#root, path: rel, algo }, md, o, cb),
      opts.signal,
      // Hashing a big file takes the server a while: no short deadline.
      false,
    )
    if (!/^[0-9a-f]+$/.test(reply.hex))
      throw new SyncError('UNSUPPORTED', 'malformed digest', { op: 'grpc.hash', path: rel })
    return reply.hex
  }

  async setMtime(path: RelPath, mtimeMs: number): Promise<Entry> {
    const rel = this.#rel(path, 'setMtime')
    const reply = await this.#unary<EntryReply__Output>('setMtime', rel, (md, o, cb) =>
      this.#client.SetMtime({ root: this.#root, path: rel, mtimeMs }, md, o, cb),
    )
    return this.#sameEntry(fromWireEntry(reply.entry, 'setMtime'), rel, 'setMtime')
  }

  /**
   * A file's permission bits in place, on the server (a chmod alone is no rewrite). A server of an
   * earlier version has no such call: UNSUPPORTED, and the engine writes the file anew, as it did.
   */
  async setMode(path: RelPath, mode: number): Promise<Entry> {
    const rel = this.#rel(path, 'setMode')
    if (!this.features.has('setMode')) {
      throw new SyncError('UNSUPPORTED', 'the server cannot set modes in place', { op: 'grpc.setMode', path: rel })
    }
    const reply = await this.#unary<EntryReply__Output>('setMode', rel, (md, o, cb) =>
      this.#client.SetMode({ root: this.#root, path: rel, mode }, md, o, cb),
    )
    return this.#sameEntry(fromWireEntry(reply.entry, 'setMode'), rel, 'setMode')
  }

  async mkdir(path: RelPath, meta: Partial<WriteMeta> = {}): Promise<void> {
    const rel = this.#rel(path, 'mkdir')
    await this.#unary<unknown>('mkdir', rel, (md, o, cb) =>
      this.#client.Mkdir(
        {
          root: this.#root,
          path: rel,
          ...(meta.mode !== undefined ? { mode: meta.mode } : {}),
          ...(meta.mtimeMs !== undefined ? { mtimeMs: meta.mtimeMs } : {}),
        },
        md,
        o,
        cb,
      ),
    )
  }

  async symlink(path: RelPath, linkTarget: string, opts: WriteOptions = {}): Promise<void> {
    const rel = this.#rel(path, 'symlink')
    await this.#makePrivateParents(rel)
    await this.#unary<unknown>('symlink', rel, (md, o, cb) =>
      this.#client.Symlink({ root: this.#root, path: rel, linkTarget, expect: toWireExpect(opts.expect) }, md, o, cb),
    )
  }

  /**
   * Change hints below the root from the server's watcher. `onReady` (where `capabilities.watchReady`:
   * the server offers it) is called when the server says its watcher is armed, so that the engine's
   * snapshot after it misses nothing.
   */
  watch(opts: { signal?: AbortSignal; onReady?: () => void } = {}): Observable<Change> {
    return new Observable<Change>((subscriber) => {
      this.#assertOpen('watch')
      const call = this.#client.Watch({ root: this.#root }, this.#metadata(), {})
      let cancelled = false
      const cancel = () => {
        cancelled = true
        call.cancel()
      }
      opts.signal?.addEventListener('abort', cancel, { once: true })
      let ready = false
      call.on('data', (m: { type: string; path: string; from?: string; ready?: boolean }) => {
        if (m.ready === true) {
          if (!ready) {
            ready = true
            opts.onReady?.()
          }
          return
        }
        try {
          const path = toRelPath(m.path, 'changed path from the server')
          const type = m.type === 'REMOVE' ? 'remove' : m.type === 'RENAME' ? 'rename' : 'upsert'
          const from = m.from !== undefined ? toRelPath(m.from, 'renamed path from the server') : undefined
          subscriber.next({ type, path, ...(from !== undefined ? { from } : {}) })
        } catch {
          // A path that cannot be a RelPath is not a hint worth acting on; the periodic scan decides.
        }
      })
      call.on('error', (err: ServiceError) => {
        // Cancelled here, or by close(): the watch ends as it was asked to, not as a failure.
        if (cancelled || this.#closed) subscriber.complete()
        else subscriber.error(this.#error(err, 'watch'))
      })
      call.on('end', () => subscriber.complete())
      return () => {
        opts.signal?.removeEventListener('abort', cancel)
        cancel()
      }
    })
  }

  /**
   * An upload of `rel` resumed from what an interrupted one left on the server (`kept`, its
   * signature): the file is read whole here, as ever, and only what the server does not hold yet
   * is sent, as a patch of that partial (rsync's `--partial`). Said through `opts.resume` where
   * the run has one. A partial that turns out unusable (gone, or the patch failing its check:
   * the server drops it then) fails the attempt `TRANSIENT`: the next sends the file whole.
   */
  async #resumeUpload(
    rel: RelPath,
    body: Readable,
    kept: FileSignature,
    meta: WriteMeta,
    opts: WriteOptions,
  ): Promise<Entry> {
    let read = 0
    let reported = 0
    let sent = 0
    const counted = (async function* () {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        read += chunk.length
        if (opts.onProgress && read - reported >= 1 << 20) {
          reported = read
          opts.onProgress(read)
        }
        yield chunk
      }
    })()
    const ops = (async function* () {
      // (The partial is the file's start: its blocks are only looked for where they were.)
      for await (const op of generateDelta(counted, kept, {
        prefix: true,
        ...(opts.signal ? { signal: opts.signal } : {}),
      })) {
        sent += deltaOpBytes(op)
        await held(opts.limiter, deltaOpBytes(op))
        yield op
      }
    })()
    try {
      const entry = await this.#patchCall(rel, kept.blockSize, ops, meta, opts, true)
      opts.onProgress?.(read)
      opts.onWireBytes?.(sent)
      const reused = Math.max(0, read - sent)
      opts.resume?.resumed(
        `resumed the upload of ${rel} that an interrupted run began: ${reused} of ${read} bytes were on the server already and not sent again`,
      )
      return entry
    } catch (err) {
      body.destroy()
      const e = isSyncError(err) ? err : this.#error(err, 'write', rel, opts.signal)
      if (e.code !== 'CHECKSUM' && e.code !== 'NOT_FOUND') throw e
      throw new SyncError(
        'TRANSIENT',
        `the part of ${rel} an interrupted upload left could not be resumed (${e.message})`,
        {
          op: 'grpc.write',
          path: rel,
          hint: 'The server dropped it: the next try sends the file whole.',
          cause: e,
        },
      )
    }
  }

  async signature(
    path: RelPath,
    blockSize: number,
    opts: { signal?: AbortSignal } = {},
  ): Promise<FileSignature | undefined> {
    return this.#signatureOf(this.#rel(path, 'signature'), blockSize, opts, false)
  }

  /** The signature of `rel`, or of what an interrupted upload of it left (`partial`); `undefined` when there is none. */
  async #signatureOf(
    rel: RelPath,
    blockSize: number,
    opts: { signal?: AbortSignal },
    partial: boolean,
  ): Promise<FileSignature | undefined> {
    const call = this.#client.Signature(
      { root: this.#root, path: rel, blockSize: blockSize || this.#blockSize, ...(partial ? { partial } : {}) },
      this.#metadata(),
      {},
    )
    const onAbort = () => call.cancel()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    let assembler: SignatureAssembler | undefined
    try {
      type Reply = { blockSize: number; size: number; strongBytes: number; weak: Buffer; strong: Buffer }
      const it = (call as ClientReadableStream<Reply>)[Symbol.asyncIterator]()
      for (;;) {
        const next = await this.#peer(it.next(), call, 'signature', rel)
        if (next.done === true) break
        assembler ??= new SignatureAssembler(next.value, 'signature')
        assembler.add(next.value)
      }
      if (assembler === undefined) throw new SyncError('UNSUPPORTED', 'empty signature', { op: 'grpc.signature' })
      return assembler.finish()
    } catch (err) {
      const e = this.#error(err, 'signature', rel, opts.signal)
      if (e.code === 'NOT_FOUND') return undefined
      throw e
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  /**
   * The signature as it arrives (see `ProgressiveSignatures`): resolves with the first batch, the
   * rest is added in the background. The server sends it while it reads the file.
   */
  async [SIGNATURE_IN_PROGRESS](
    path: string,
    blockSize: number,
    opts: { signal?: AbortSignal } = {},
  ): Promise<SignatureInProgress | undefined> {
    const rel = this.#rel(path as RelPath, 'signature')
    const call = this.#client.Signature(
      { root: this.#root, path: rel, blockSize: blockSize || this.#blockSize },
      this.#metadata(),
      {},
    )
    const onAbort = () => call.cancel()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    type Reply = { blockSize: number; size: number; strongBytes: number; weak: Buffer; strong: Buffer }
    const it = (call as ClientReadableStream<Reply>)[Symbol.asyncIterator]()
    let assembler: SignatureAssembler
    const next = () => this.#peer(it.next(), call, 'signature', rel)
    try {
      const first = await next()
      if (first.done === true) throw new SyncError('UNSUPPORTED', 'empty signature', { op: 'grpc.signature' })
      assembler = new SignatureAssembler(first.value, 'signature')
      assembler.add(first.value)
    } catch (err) {
      opts.signal?.removeEventListener('abort', onAbort)
      call.cancel()
      const e = this.#error(err, 'signature', rel, opts.signal)
      if (e.code === 'NOT_FOUND') return undefined
      throw e
    }
    const a = assembler
    let settled = false
    let failure: SyncError | undefined
    let waiters: (() => void)[] = []
    const wake = () => {
      const w = waiters
      waiters = []
      for (const f of w) f()
    }
    void (async () => {
      try {
        for (let r = await next(); r.done !== true; r = await next()) {
          a.add(r.value)
          wake()
        }
        a.finish() // every block announced arrived
      } catch (err) {
        failure = this.#error(err, 'signature', rel, opts.signal)
      } finally {
        settled = true
        opts.signal?.removeEventListener('abort', onAbort)
        wake()
      }
    })()
    return {
      signature: a.partial(),
      progress: {
        // All blocks count only once the stream ended well (the last one completes the signature).
        received: () => (settled && failure === undefined ? a.total : Math.min(a.received, a.total - 1)),
        more: async () => {
          if (!settled) await new Promise<void>((resolve) => waiters.push(resolve))
          if (failure !== undefined) throw failure
        },
      },
      cancel: () => {
        if (!settled) call.cancel()
      },
    }
  }

  async patch(
    path: RelPath,
    blockSize: number,
    ops: AsyncIterable<DeltaOp>,
    meta: WriteMeta & { readonly sha256?: string },
    opts: WriteOptions = {},
  ): Promise<Entry> {
    return this.#patchCall(this.#rel(path, 'patch'), blockSize, ops, meta, opts, false)
  }

  /** A Patch call: of the file, or of what an interrupted upload of it left (`fromPartial`). */
  async #patchCall(
    rel: RelPath,
    blockSize: number,
    ops: AsyncIterable<DeltaOp>,
    meta: WriteMeta & { readonly sha256?: string },
    opts: WriteOptions,
    fromPartial: boolean,
  ): Promise<Entry> {
    const root = this.#root
    const { call, result } = clientStream<unknown, { entry: unknown }>((cb) =>
      this.#client.Patch(this.#metadata(), {}, cb as never),
    )
    const onAbort = () => call.cancel()
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    async function* messages() {
      yield {
        header: {
          root,
          path: rel,
          blockSize,
          meta: toWireMeta(meta),
          expect: toWireExpect(opts.expect),
          ...(meta.sha256 !== undefined ? { sha256: meta.sha256 } : {}),
          ...(fromPartial ? { fromPartial } : {}),
        },
        ops: [],
      }
      for await (const batch of batchOps(ops)) yield { ops: batch }
    }
    try {
      await sendAll(call, messages(), result, (waiting) => this.#peer(waiting, call, 'patch', rel))
      const reply = await this.#peer(result, call, 'patch', rel)
      return this.#sameEntry(fromWireEntry(reply.entry as never, 'patch'), rel, 'patch')
    } catch (err) {
      throw this.#error(err, 'patch', rel, opts.signal)
    } finally {
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  deltaFrom(path: RelPath, signature: FileSignature, opts: DeltaFromOptions = {}): AsyncIterable<DeltaOp> {
    const self = this
    return {
      async *[Symbol.asyncIterator]() {
        const rel = self.#rel(path, 'deltaFrom')
        const call = self.#client.Delta(self.#metadata(), {})
        const onAbort = () => call.cancel()
        opts.signal?.addEventListener('abort', onAbort, { once: true })
        let done = false
        try {
          const ended = new Promise<void>((resolve, reject) => {
            call.on('end', resolve)
            call.on('error', reject)
          })
          ended.catch(() => {})
          const requests = (function* () {
            let first = true
            for (const batch of signatureBatches(signature)) {
              yield {
                ...(first
                  ? {
                      header: {
                        root: self.#root,
                        path: rel,
                        blockSize: signature.blockSize,
                        size: signature.size,
                        strongBytes: signature.strongBytes,
                        gzip: self.#compress,
                        ...(opts.expect ? { expect: toWireExpect(opts.expect) } : {}),
                        ...(opts.tolerateChanges ? { tolerateChanges: true } : {}),
                        ...(opts.length !== undefined ? { length: opts.length } : {}),
                      },
                    }
                  : {}),
                ...batch,
              }
              first = false
            }
          })()
          await sendAll(call as never, requests, ended, (waiting) => self.#peer(waiting, call, 'deltaFrom', rel))
          const it = (call as AsyncIterable<{ ops: never[] }>)[Symbol.asyncIterator]()
          for (;;) {
            const next = await self.#peer(it.next(), call, 'deltaFrom', rel)
            if (next.done === true) break
            for (const w of next.value.ops) yield await fromWireOp(w, 'deltaFrom')
          }
          done = true
        } catch (err) {
          throw self.#error(err, 'deltaFrom', rel, opts.signal)
        } finally {
          opts.signal?.removeEventListener('abort', onAbort)
          if (!done) call.cancel()
        }
      },
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * Under `privateDirs`: makes each missing directory above `rel` 0700 before something is written
   * below it (the server would make it with its umask's mode). One that exists is left as it is; one
   * that cannot be made is left to the write, which says why.
   */
  async #makePrivateParents(rel: RelPath): Promise<void> {
    if (!this.#privateDirs || !this.features.has('mkdir')) return
    for (let slash = rel.indexOf('/'); slash > 0; slash = rel.indexOf('/', slash + 1)) {
      const dir = rel.slice(0, slash) as RelPath
      let made = this.#madeDirs.get(dir)
      if (made === undefined) {
        made = (async () => {
          if ((await this.stat(dir)) === undefined) await this.mkdir(dir, { mode: 0o700 })
        })().catch(() => {
          this.#madeDirs.delete(dir)
        })
        this.#madeDirs.set(dir, made)
      }
      await made
    }
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new SyncError('USAGE', 'backend is closed', { op: `grpc.${op}`, path: this.uri })
  }

  #rel(path: RelPath, op: string): RelPath {
    this.#assertOpen(op)
    return toRelPath(path, `grpc.${op}`)
  }

  /** A gRPC failure as a SyncError (see `toSyncError`), naming this server in the hint of a connection failure. */
  #error(err: unknown, op: string, path?: string, signal?: AbortSignal): SyncError {
    // A call cancelled by `close` (not the server going away: that is TRANSIENT, retried), unless
    // the caller's own signal says it was interrupted.
    if (this.#closed && !isSyncError(err) && !signal?.aborted) {
      return new SyncError('ABORTED', 'the backend was closed while this call was under way', {
        op: `grpc.${op}`,
        ...(path !== undefined ? { path } : {}),
        cause: err,
      })
    }
    return toSyncError(err, op, path, signal, this.#server)
  }

  /**
   * `waiting` (on the server: a message, room to send, an answer), or, when the I/O timeout passes
   * first, `call` cancelled and a TRANSIENT error that says the server went silent.
   */
  #peer<T>(waiting: Promise<T>, call: { cancel(): void }, op: string, path?: string): Promise<T> {
    const ms = this.#ioTimeoutMs
    if (ms === undefined) return waiting
    let timer: NodeJS.Timeout | undefined
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        call.cancel()
        reject(this.#silent(ms, op, path))
      }, ms)
    })
    return Promise.race([waiting, silent]).finally(() => clearTimeout(timer))
  }

  /** The error of a server silent for `ms` (an I/O timeout; a request's deadline). */
  #silent(ms: number, op: string, path: string | undefined, cause?: unknown): SyncError {
    const io = this.#ioTimeoutMs !== undefined
    return new SyncError(
      'TRANSIENT',
      io
        ? `the server at ${this.#server} sent or took nothing for ${seconds(ms)} (I/O timeout)`
        : `the server at ${this.#server} did not answer within ${seconds(ms)}`,
      {
        op: `grpc.${op}`,
        ...(path !== undefined ? { path } : {}),
        ...(cause !== undefined ? { cause } : {}),
        hint: `Check that \`syncflow serve\` at ${this.#server} is alive and reachable (a stalled server or network)${io ? '; over a slow link, raise --timeout' : ''}. What failed is tried again by the next run.`,
      },
    )
  }

  #metadata(): Metadata {
    const md = new this.#protocol.grpc.Metadata()
    if (this.#token !== undefined) md.set('authorization', `Bearer ${this.#token}`)
    if (this.#servedRootId !== undefined) md.set(ROOT_ID_HEADER, this.#servedRootId)
    return md
  }

  /** A unary call as a promise, with the deadline and the error translation. */
  #unary<Res>(
    op: string,
    path: string | undefined,
    start: (md: Metadata, options: CallOptions, cb: (err: ServiceError | null, res?: Res) => void) => unknown,
    signal?: AbortSignal,
    deadline = true,
  ): Promise<Res> {
    this.#assertOpen(op)
    return new Promise<Res>((resolve, reject) => {
      const options: CallOptions = deadline ? { deadline: Date.now() + this.#timeoutMs } : {}
      const call = start(this.#metadata(), options, (err, res) => {
        signal?.removeEventListener('abort', onAbort)
        if (err?.code === DEADLINE_EXCEEDED && !signal?.aborted) reject(this.#silent(this.#timeoutMs, op, path, err))
        else if (err || res === undefined) reject(this.#error(err ?? new Error('empty reply'), op, path, signal))
        else resolve(res)
      }) as { cancel(): void }
      const onAbort = () => call.cancel()
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** The server must answer about the path asked for (a hostile server could name another). */
  #sameEntry(entry: Entry, path: RelPath, op: string): Entry {
    if (entry.path !== path) {
      throw new SyncError('UNSUPPORTED', `server answered about ${JSON.stringify(entry.path)}`, {
        op: `grpc.${op}`,
        path,
        hint: 'The server is not a syncflow server of a compatible version.',
      })
    }
    return entry
  }
}

function codeOf(code: string): import('@syncflow/core').SyncErrorCode {
  const known = ['NOT_FOUND', 'PERMISSION', 'INVALID_PATH', 'CONFLICT', 'TRANSIENT', 'NO_SPACE']
  return (known.includes(code) ? code : 'UNKNOWN') as import('@syncflow/core').SyncErrorCode
}

async function sha256Of(source: Backend, path: RelPath, signal: AbortSignal | undefined): Promise<string> {
  if (supports.hash(source) && source.capabilities.hashes.includes('sha256')) {
    return source.hash(path, 'sha256', signal ? { signal } : {})
  }
  const h = createHash('sha256')
  for await (const chunk of await source.read(path)) h.update(chunk as Buffer)
  return h.digest('hex')
}

/**
 * A failed Hello: nothing has run yet, so an unreachable server is a setup problem to explain, not a
 * retry. A grpc:// client that cannot connect asks whether the server speaks TLS: grpc-js says only
 * "Failed to connect", and a retry would never succeed.
 */
async function helloError(err: unknown, location: GrpcLocation, contentType?: string): Promise<SyncError> {
  // Ours already (a connection not made in time) says what happened.
  if (isSyncError(err)) return err
  const status = err as Partial<ServiceError>
  // Not a gRPC server (QA 8 #8). Hello's answer is tiny: an oversized one, or one that is not
  // application/grpc, is a page of some other server (grpc-js reads `<htm` as a length).
  const notGrpc = status.metadata?.get('syncflow-code')[0] === undefined ? notGrpcIn(status.details ?? '') : undefined
  const foreign = contentType !== undefined && !/^application\/grpc/i.test(contentType)
  if (notGrpc !== undefined || foreign) {
    return notGrpcError(
      notGrpc ?? { kind: 'oversized' },
      { op: 'grpc.hello', path: location.uri, cause: err },
      location.target,
      contentType,
    )
  }
  const e = toSyncError(err, 'hello', location.uri, undefined, location.target)
  if (e.code !== 'TRANSIENT') return e
  if (!location.tls && status.code === UNAVAILABLE && (await speaksTls(location.target))) {
    return new SyncError('USAGE', 'the server speaks TLS: use grpcs:// instead of grpc://', {
      op: 'grpc.hello',
      path: location.uri,
      cause: err,
      hint: 'Use grpcs:// for a server started with --tls-cert/--tls-key (with --ca-file when its certificate is not from a public CA), or start it without them to use grpc://.',
    })
  }
  // grpc-js's bare "Failed to connect" (no system error: the TCP connection was made), or a reset,
  // is also what a client gets from a server with all the connections it takes: told to check that
  // the server is running, a user whose other clients were being served looked for the wrong fault
  // (QA 31g #1).
  if (
    !location.tls &&
    status.code === UNAVAILABLE &&
    /Failed to connect|\bECONNRESET\b/i.test(status.details ?? '') &&
    (await closesAtOnce(location.target))
  ) {
    return new SyncError(
      'TRANSIENT',
      `cannot connect to ${location.target} (the server closed the connection at once: it may have all the connections it takes, or be stopping)`,
      {
        op: 'grpc.hello',
        path: location.uri,
        cause: err,
        hint: `\`syncflow serve\` takes at most an eighth of its open-files limit (\`ulimit -n\`, 16 to 1024) in connections at once, and says so in its log: try again once fewer clients are connected, or raise the server's \`ulimit -n\`.`,
      },
    )
  }
  return new SyncError('TRANSIENT', bareMessage(e), {
    op: 'grpc.hello',
    path: location.uri,
    cause: err,
    hint: location.tls
      ? `Check that \`syncflow serve\` is running at ${location.target} and reachable from here.`
      : `Check that \`syncflow serve\` is running at ${location.target} and reachable from here; a server started with --tls-cert needs grpcs://.`,
  })
}

/** The token from the options, a token file or `SYNCFLOW_TOKEN`, in that order. */
async function tokenOf(options: GrpcBackendOptions): Promise<string | undefined> {
  if (options.token !== undefined && options.tokenFile !== undefined) {
    throw new SyncError('USAGE', '--token and --token-file both given', { hint: 'Pass only one of them.' })
  }
  if (options.token !== undefined) return checkTokenText(options.token, '--token')
  if (options.tokenFile !== undefined) {
    const token = await readTokenFile(options.tokenFile)
    return checkTokenText(token, `--token-file ${options.tokenFile}`)
  }
  const env = (options.env ?? process.env).SYNCFLOW_TOKEN || undefined
  return env === undefined ? undefined : checkTokenText(env, 'SYNCFLOW_TOKEN')
}

/**
 * Connects to a `syncflow serve` server and returns its directory as a backend: loads the gRPC SDK
 * (first use only), says Hello (which checks the token: `AUTH`, exit 2, when it is missing or
 * wrong; `TRANSIENT` when the server is unreachable) and learns what the server offers.
 */
export async function createGrpcBackend(options: GrpcBackendOptions): Promise<GrpcBackend> {
  const location = parseGrpcUri(options.uri)
  if (options.symlinks !== undefined && !SYMLINK_POLICIES.includes(options.symlinks)) {
    throw new SyncError('USAGE', `unknown symlink policy ${JSON.stringify(options.symlinks)}`, {
      hint: 'Use one of: preserve (default), skip; follow is refused by syncflow serve.',
    })
  }
  const token = await tokenOf(options)
  let ca: Buffer | undefined
  if (options.caFile !== undefined) {
    if (!location.tls) {
      throw new SyncError('USAGE', `a CA file is only used with grpcs:// (got ${location.uri})`, {
        hint: 'Use a grpcs:// location, or drop --ca-file.',
      })
    }
    ca = await readCaFile(options.caFile)
  }
  const protocol = await loadProtocol()
  const { grpc, proto } = protocol
  const maxMessageBytes = options.maxMessageBytes ?? 16 * 1024 * 1024
  const channelOptions: ChannelOptions = {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    // Node's default HTTP/2 receive window (64 KiB) caps a download at 64 KiB per round trip.
    'grpc-node.flow_control_window': 64 * 1024 * 1024,
    // Notice a dead server (a cable pulled mid-transfer) in about half a minute.
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 10_000,
    // After a connection is lost, grpc-js fails every call at once until its next reconnect, which
    // it tries after 1 s, then 1.6 times longer each time, up to 2 min: a server restarted within
    // a second failed most files in flight (each tried 4 times within about a second), and a watch
    // whose server was down for minutes took up to 2 min more to notice it was back. Reconnecting
    // sooner, and at least every 5 s, costs a connection attempt now and then while it is down.
    'grpc.initial_reconnect_backoff_ms': 250,
    'grpc.max_reconnect_backoff_ms': 5_000,
    ...(options.compress ? { 'grpc.default_compression_algorithm': 2, 'grpc.default_compression_level': 2 } : {}),
  }
  const credentials = location.tls ? grpc.credentials.createSsl(ca ?? null) : grpc.credentials.createInsecure()
  const timeoutMs = options.timeoutMs ?? options.ioTimeoutMs ?? 60_000
  // rsync's split: the connection timeout alone bounds connecting, the I/O timeout (else the
  // request deadline) bounds the wait for Hello's answer once connected.
  const connectMs = options.connectTimeoutMs ?? 60_000
  const answerMs = options.ioTimeoutMs ?? timeoutMs
  // What Hello's answer said it was (its headers' content-type): told apart from gRPC's on failure.
  let contentType: string | undefined
  const calls = new InFlightCalls(grpc)
  // The sockets this client opens while saying Hello: a connect given up is destroyed (see the helper).
  const opened = socketsOpenedIn(() => {
    const client = new proto.syncflow.v1.Syncflow(location.target, credentials, {
      ...channelOptions,
      interceptors: [calls.interceptor],
    })
    return { client, hello: hello(client) }
  })
  const { client } = opened.result
  try {
    const reply = await opened.result.hello.catch(async (err: unknown) => {
      throw await helloError(err, location, contentType)
    })
    if (reply.protocol !== PROTOCOL_VERSION) {
      throw new SyncError('UNSUPPORTED', `server speaks protocol ${reply.protocol}, this client ${PROTOCOL_VERSION}`, {
        op: 'grpc.hello',
        path: location.uri,
        hint: 'Run the same syncflow version on both sides.',
      })
    }
    return new GrpcBackend(location, client, calls, reply, protocol, {
      token,
      timeoutMs,
      ioTimeoutMs: options.ioTimeoutMs,
      blockSize: options.blockSize ?? 0,
      compress: options.compress === true,
      ...(options.symlinks !== undefined ? { symlinks: options.symlinks } : {}),
      ...(options.privateDirs === true ? { privateDirs: true } : {}),
    })
  } catch (err) {
    client.close()
    // A connect still pending (an address that drops the packets) would keep the process alive.
    opened.destroyConnecting()
    throw err
  } finally {
    opened.stop()
  }

  /**
   * Hello, given up when no connection is made within `connectMs` (a connection-timeout error) or,
   * once connected, no answer comes within `answerMs` (an I/O-timeout error). Timed here, not by a
   * gRPC deadline, whose one error cannot say which of the two waits ran out.
   */
  function hello(client: SyncflowClient): Promise<HelloReply__Output> {
    const channel = client.getChannel()
    const READY = grpc.connectivityState.READY
    return new Promise<HelloReply__Output>((resolve, reject) => {
      let given: SyncError | undefined
      let connectTimer: NodeJS.Timeout | undefined
      let answerTimer: NodeJS.Timeout | undefined
      const md = new grpc.Metadata()
      if (token !== undefined) md.set('authorization', `Bearer ${token}`)
      const call = client.Hello({ root: location.root, protocol: PROTOCOL_VERSION }, md, {}, (err, res) => {
        clearTimeout(connectTimer)
        clearTimeout(answerTimer)
        if (given) reject(given)
        else if (err || !res) reject(err ?? new Error('empty reply'))
        else resolve(res)
      })
      call.on('metadata', (headers: Metadata) => {
        const type = headers.get('content-type')[0]
        if (typeof type === 'string') contentType = type
      })
      const giveUp = (error: SyncError) => {
        given ??= error
        call.cancel()
      }
      connectTimer = setTimeout(() => {
        if (channel.getConnectivityState(false) !== READY) giveUp(connectTimeoutError(location, connectMs))
      }, connectMs)
      // The answer's clock starts when the connection is made.
      const watch = () => {
        if (given) return
        const state = channel.getConnectivityState(false)
        if (state === READY) {
          clearTimeout(connectTimer)
          answerTimer = setTimeout(() => giveUp(noAnswerError(location, answerMs, options.ioTimeoutMs)), answerMs)
        } else if (state !== grpc.connectivityState.SHUTDOWN) channel.watchConnectivityState(state, Infinity, watch)
      }
      watch()
    })
  }
}

/** The error of a connection not made within `connectTimeoutMs` (see GrpcBackendOptions). */
function connectTimeoutError(location: GrpcLocation, ms: number): SyncError {
  return new SyncError(
    'TRANSIENT',
    `no connection to ${location.target} within ${seconds(ms)} (connection timeout): nothing there answered`,
    {
      op: 'grpc.hello',
      path: location.uri,
      hint: `Check that \`syncflow serve\` is running at ${location.target} and that nothing between here and there drops the connection (a firewall, a wrong address); over a slow link, raise --contimeout.`,
    },
  )
}

/** The error of a server that took the connection and did not answer Hello within `ms`. */
function noAnswerError(location: GrpcLocation, ms: number, ioTimeoutMs: number | undefined): SyncError {
  const io = ioTimeoutMs !== undefined
  return new SyncError(
    'TRANSIENT',
    `the server at ${location.target} took the connection but sent nothing for ${seconds(ms)}${io ? ' (I/O timeout)' : ''}`,
    {
      op: 'grpc.hello',
      path: location.uri,
      hint: `Check that \`syncflow serve\` at ${location.target} is alive (a stalled or overloaded server)${io ? '; over a slow link, raise --timeout' : ''}.`,
    },
  )
}

/** `1.5 s`, `30 s`: a duration in seconds for messages. */
function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}

/**
 * Whether `err` is an older server's refusal of a stat for a path below a symlink that lies inside
 * the client's root `root` (not the root itself, nor above it): the link the message names (a path
 * from the served root) is strictly below `root` and strictly above `root/rel`.
 */
function belowLinkInRoot(err: unknown, root: string, rel: string): boolean {
  if (!isSyncError(err) || err.code !== 'INVALID_PATH') return false
  const details = (err.cause as { details?: unknown } | undefined)?.details
  const link = typeof details === 'string' ? /^goes through the symlink (.+)$/s.exec(details)?.[1] : undefined
  if (link === undefined) return false
  const full = root === '' ? rel : `${root}/${rel}`
  return (root === '' || link.startsWith(`${root}/`)) && full.startsWith(`${link}/`)
}

/** Waits as long as `limiter` (the run's --bwlimit, see `Capabilities.meteredWrites`) says `bytes` more may take. */
async function held(limiter: RateLimiter | undefined, bytes: number): Promise<void> {
  const wait = limiter?.reserve(bytes) ?? 0
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
}

/**
 * The server's "the root is not a directory" (its path the client's root, relative to --root) said
 * as a local file root is: the location is a file. Printed as it came, a run into grpc://h/file said
 * `failed   file (on the target): …`, as if a file named `file` inside the target had failed.
 */
function rootNotDirectory(err: SyncError, root: string, uri: string): SyncError {
  if (err.code !== 'CONFLICT' || err.path !== root || root === '') return err
  const below = err.message.includes('a part of the root path is a file')
  return new SyncError(
    'USAGE',
    `${JSON.stringify(uri)} ${below ? 'lies below a file' : 'is a file'}, not a directory`,
    {
      op: err.op ?? 'grpc.list',
      cause: err,
      hint: below
        ? 'Give a directory, or a path where one can be made (every part above it a directory).'
        : 'Give a directory (syncflow makes it if it does not exist). syncflow never replaces a file by a directory: to do that, remove the file first.',
    },
  )
}
