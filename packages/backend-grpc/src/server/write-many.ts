import type { handleBidiStreamingCall, Metadata, StatusObject } from '@grpc/grpc-js'
import { type Backend, type Entry, type RelPath, SyncError } from '@syncflow/core'
import type { WriteHeader__Output } from '../generated/syncflow/v1/WriteHeader.js'
import type { WriteManyReply } from '../generated/syncflow/v1/WriteManyReply.js'
import type { WriteManyRequest__Output } from '../generated/syncflow/v1/WriteManyRequest.js'
import { toWireEntry } from '../wire/entry-codec.js'
import { drained } from '../wire/streams.js'
import { quietLimit } from './quiet-limit.js'
import { HINT_BIN_TRAILER } from './to-status.js'

/**
 * Largest file a WriteMany carries, in bytes (each comes whole, in one message). This and
 * `WRITE_MANY_IN_FLIGHT` bound what one stream holds: 4 MiB. Bigger files go as Writes of their own.
 */
export const WRITE_MANY_MAX_FILE = 64 * 1024

/**
 * Files of one WriteMany being written at once. Beyond it the server stops reading the stream, and
 * HTTP/2 flow control stops the client: the client keeps as many small writes in flight (64).
 */
export const WRITE_MANY_IN_FLIGHT = 64

/** What the WriteMany handler needs of the service around it (see syncflowService). */
export interface WriteManyContext {
  /** Checks the token and the served directory (throws what fails the whole stream). */
  readonly admit: (metadata: Metadata) => void
  /** Throws the --read-only refusal. */
  readonly writable: (op: string) => void
  /** A failure as the gRPC status a Write would have ended with. */
  readonly fail: (op: string, err: unknown) => Partial<StatusObject>
  /** The backend and checked full path of a request's root + path. */
  readonly resolve: (root: string, path: string) => Promise<{ rel: RelPath; full: RelPath; backend: Backend }>
  /**
   * Writes `rel` as a Write does: its turn at the open-files gate, the shared path lock, the
   * parents checked again under it, the backend's atomic write, the content index told.
   */
  readonly write: (
    full: RelPath,
    rel: RelPath,
    backend: Backend,
    data: Buffer,
    header: WriteHeader__Output,
    signal: AbortSignal,
  ) => Promise<Entry>
  /** How long the client's stream may send nothing. */
  readonly quietMs: number
}

/**
 * The WriteMany handler (proto/syncflow.proto): small files one after another in one stream, each
 * written and answered on its own, concurrently (as separate Writes would be). A file's failure is
 * its own reply, in the words its Write would have failed with; only what would fail every file
 * (auth, --read-only, a malformed stream) fails the stream, and then every file not yet answered is
 * aborted, so that none commits unheard of.
 */
export function writeManyHandler(
  ctx: WriteManyContext,
): handleBidiStreamingCall<WriteManyRequest__Output, WriteManyReply> {
  return (call) => {
    // Aborted when the client goes away or the stream fails: a write under way then never commits
    // (LocalBackend checks the signal just before its rename).
    const stream = new AbortController()
    call.on('cancelled', () => stream.abort())
    // Not the stream's own async iterator: reading to the end through it destroys the whole duplex,
    // so the end (status OK) after the last replies was never sent, and the client's call stayed open
    // until its connection went (the CLI's 3 s exit safety net after every sync of small files).
    const it = quietLimit(call.iterator({ destroyOnReturn: false }), ctx.quietMs, 'write')
    const cancels = new Map<number, AbortController>()
    const pending = new Set<Promise<void>>()
    const usage = (message: string) => new SyncError('USAGE', message, { op: 'serve.write' })

    // Not waiting for 'drain' per reply: a reply is a few hundred bytes, and dozens of writes each
    // waiting for it held their files' answers (and the client's next files) for ~200 ms each. The
    // read loop waits instead, before taking the next file: what is buffered stays bounded.
    const reply = async (message: WriteManyReply): Promise<void> => {
      if (!stream.signal.aborted) call.write(message)
    }

    const start = (id: number, header: WriteHeader__Output, data: Buffer): void => {
      const own = new AbortController()
      cancels.set(id, own)
      const signal = AbortSignal.any([stream.signal, own.signal])
      const done = (async () => {
        try {
          const { rel, full, backend } = await ctx.resolve(header.root, header.path)
          const entry = await ctx.write(full, rel, backend, data, header, signal)
          await reply({ id: id, entry: toWireEntry(entry) })
        } catch (err) {
          // A file the client cancelled has no answer: it no longer waits for one.
          if (own.signal.aborted) return
          const status = ctx.fail('write', err)
          const trailers: Record<string, string> = {}
          let hintBin: Buffer | undefined
          for (const [key, value] of Object.entries(status.metadata?.getMap() ?? {})) {
            if (key === HINT_BIN_TRAILER && Buffer.isBuffer(value)) hintBin = value
            else if (typeof value === 'string') trailers[key] = value
          }
          await reply({
            id: id,
            failure: {
              status: status.code ?? 2,
              message: status.details ?? '',
              trailers,
              ...(hintBin ? { hintBin } : {}),
            },
          })
        } finally {
          cancels.delete(id)
        }
      })()
      pending.add(done)
      void done.finally(() => pending.delete(done))
    }

    const run = async () => {
      ctx.admit(call.metadata)
      ctx.writable('write')
      for (;;) {
        if (call.writableNeedDrain && !call.cancelled) await drained(call)
        const r = await it.next()
        if (r.done) break
        const m = r.value
        if (m.msg === 'file' && m.file?.header) {
          const data = m.file.data
          if (data.length > WRITE_MANY_MAX_FILE) {
            throw usage(`file ${m.id} is over ${WRITE_MANY_MAX_FILE} bytes: send it in a Write of its own`)
          }
          start(m.id, m.file.header, data)
          // Holding the next message back while this many are written: flow control does the rest.
          while (pending.size >= WRITE_MANY_IN_FLIGHT) await Promise.race(pending)
        } else if (m.msg === 'cancel') {
          // Under way: aborted, so not committed (answered already: too late, as for a Write).
          cancels.get(m.id)?.abort()
        } else throw usage('unexpected message in an upload')
      }
      await Promise.all(pending)
    }
    run().then(
      () => call.end(),
      (err: unknown) => {
        stream.abort()
        if (!call.cancelled) call.emit('error', ctx.fail('write', err))
      },
    )
  }
}
