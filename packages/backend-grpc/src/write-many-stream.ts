import type { ClientDuplexStream, Metadata } from '@grpc/grpc-js'
import { SyncError } from '@syncflow/core'
import type { Entry__Output } from './generated/syncflow/v1/Entry.js'
import type { WriteFailure__Output } from './generated/syncflow/v1/WriteFailure.js'
import type { WriteHeader } from './generated/syncflow/v1/WriteHeader.js'
import type { WriteManyReply__Output } from './generated/syncflow/v1/WriteManyReply.js'
import type { WriteManyRequest } from './generated/syncflow/v1/WriteManyRequest.js'
import { HINT_BIN_TRAILER } from './server/to-status.js'

/** The largest file sent in a WriteMany (the server's WRITE_MANY_MAX_FILE: it refuses more). */
export const WRITE_MANY_FILE_BYTES = 64 * 1024

type Call = ClientDuplexStream<WriteManyRequest, WriteManyReply__Output>

interface Waiter {
  readonly call: Call
  /** The file's path (its header's): named in the error of a file given up (`expire`). */
  readonly path: string | undefined
  readonly resolve: (entry: Entry__Output) => void
  readonly reject: (err: unknown) => void
}

/**
 * Small files to a server in one WriteMany stream (feature "writeMany") instead of a Write call
 * each: the stream's setup, metadata and the server's per-call checks are paid once for all the
 * files in flight. A stream is opened with the first file and half-closed once no file waits for
 * its answer; each file is answered on its own, so a failure fails only its file.
 */
export class WriteManyStream {
  readonly #open: () => Call
  readonly #metadata: () => Metadata
  #call: Call | undefined
  readonly #waiting = new Map<number, Waiter>()
  /** Each file's id, by the promise `send` gave for it (see `expire`). */
  readonly #ids = new WeakMap<Promise<Entry__Output>, number>()
  #nextId = 0

  /**
   * @param open starts a WriteMany call
   * @param metadata a fresh Metadata (to carry a failure's trailers as a Write's status would)
   */
  constructor(open: () => Call, metadata: () => Metadata) {
    this.#open = open
    this.#metadata = metadata
  }

  /**
   * Sends one file (its header and all its bytes, at most WRITE_MANY_FILE_BYTES) and resolves with
   * the server's entry of it, or rejects with what a Write of it would have failed with (a gRPC
   * status: code, details, trailers). `signal` aborted: the server is told not to commit it, and it
   * rejects with the signal's reason.
   */
  send(header: WriteHeader, data: Buffer, signal?: AbortSignal): Promise<Entry__Output> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    const id = this.#nextId++ >>> 0
    const call = this.#stream()
    const sent = new Promise<Entry__Output>((resolve, reject) => {
      const onAbort = () => {
        if (!this.#waiting.delete(id)) return
        call.write({ id, cancel: true })
        reject(signal?.reason)
        this.#idle(call)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const done =
        <T>(f: (v: T) => void) =>
        (v: T) => {
          signal?.removeEventListener('abort', onAbort)
          f(v)
        }
      this.#waiting.set(id, { call, path: header.path, resolve: done(resolve), reject: done(reject) })
      // One message per file: a message is most of a small file's cost on both sides (header,
      // data and end as three cost the client 0.3 s of CPU per 2,000 files in grpc-js alone).
      call.write({ id, file: { header, data } })
    })
    this.#ids.set(sent, id)
    return sent
  }

  /**
   * Gives up the file `sent` (`send`'s promise) that the server has not answered within the I/O
   * timeout, as its own Write would have been given up: it rejects with `err(path)`, and the server
   * is told not to commit it. Only that file: the others of the stream may be answered in time (one
   * write held by a slow disk or a path lock gave up all of them). A stream left with no file
   * waiting is cancelled, not half-closed: a server that answers nothing would never end it.
   */
  expire(sent: Promise<Entry__Output>, err: (path: string | undefined) => unknown): void {
    const id = this.#ids.get(sent)
    const w = id === undefined ? undefined : this.#waiting.get(id)
    if (id === undefined || w === undefined) return
    this.#waiting.delete(id)
    w.call.write({ id, cancel: true })
    w.reject(err(w.path))
    for (const other of this.#waiting.values()) if (other.call === w.call) return
    if (this.#call === w.call) this.#call = undefined
    w.call.cancel()
  }

  #stream(): Call {
    if (this.#call) return this.#call
    const call = this.#open()
    this.#call = call
    call.on('data', (reply: WriteManyReply__Output) => {
      const w = this.#waiting.get(reply.id)
      if (!w || w.call !== call) return
      this.#waiting.delete(reply.id)
      if (reply.failure) w.reject(this.#failure(reply.failure))
      else if (reply.entry) w.resolve(reply.entry)
      else {
        w.reject(
          new SyncError('UNSUPPORTED', 'the server answered a file without its entry or its failure', {
            op: 'grpc.write',
            hint: 'The server is not a syncflow server of a compatible version.',
          }),
        )
      }
      this.#idle(call)
    })
    const lost = (err: unknown) => {
      if (this.#call === call) this.#call = undefined
      for (const [id, w] of this.#waiting) {
        if (w.call !== call) continue
        this.#waiting.delete(id)
        w.reject(err)
      }
    }
    call.on('error', lost)
    // Ended without answering every file (not a syncflow server's way): each is TRANSIENT-retried.
    call.on('end', () =>
      lost(
        new SyncError('TRANSIENT', 'the server ended the upload stream before answering every file', {
          op: 'grpc.write',
        }),
      ),
    )
    return call
  }

  /** Half-closes `call` once no file waits on it: the server ends it when its writes are answered. */
  #idle(call: Call): void {
    for (const w of this.#waiting.values()) if (w.call === call) return
    if (this.#call === call) this.#call = undefined
    call.end()
  }

  /** A file's failure as the gRPC status error its own Write would have ended with. */
  #failure(f: WriteFailure__Output): Error {
    const metadata = this.#metadata()
    for (const [key, value] of Object.entries(f.trailers)) metadata.set(key, value)
    if (f.hintBin.length > 0) metadata.set(HINT_BIN_TRAILER, f.hintBin)
    return Object.assign(new Error(`${f.status} ${f.message}`), { code: f.status, details: f.message, metadata })
  }
}
