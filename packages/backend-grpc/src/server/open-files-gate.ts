import { SyncError } from '@syncflow/core'

/**
 * What a client is told when the server is short of file handles: the limit is the server's, not
 * the client's (review 23 F4: clients were told to raise their own `ulimit -n`).
 */
export const SERVER_FILES_HINT =
  'The server ran out of open files (the ulimit -n of `syncflow serve`): raise its limit (ulimit -n 1024, LimitNOFILE= of its service), or run the clients with a lower --concurrency.'

/**
 * How long a request waits for a turn before it fails (TRANSIENT, so the client tries again): a
 * client can hold one stream open that waits on another of its own (a Read it pipes into a Write
 * to the same server), and with every turn taken so, waiting forever would be a deadlock.
 */
export const DEFAULT_MAX_WAIT_MS = 60_000

/** Options of `OpenFilesGate`. */
export interface OpenFilesGateOptions {
  /** Operations that may hold files open at once (at least 1). */
  readonly capacity: number
  /** The open-files limit the capacity comes from, for messages. [unknown] */
  readonly limit?: number
  /** How long a request waits for its turn. [DEFAULT_MAX_WAIT_MS] */
  readonly maxWaitMs?: number
}

/**
 * The server's cap on operations that hold file handles (a read, a write's temp file, a listing's
 * directory, a patch's base and temp file), across all clients. Each client caps its own
 * concurrency under its own limit, but four clients of 32 each made a server under `ulimit -n 64`
 * fail writes with EMFILE (review 23 F4); now the excess waits its turn, first come first served.
 *
 * A turn is held for the whole operation, streams included: a Read keeps its file open while the
 * client takes its messages, a Write its temp file while the client sends, so the turn ends only
 * when the handler does (finished, failed or cancelled), never at the first message.
 */
export class OpenFilesGate {
  readonly capacity: number
  readonly #limit: number | undefined
  readonly #maxWaitMs: number
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(options: OpenFilesGateOptions) {
    this.capacity = Math.max(1, Math.floor(options.capacity))
    this.#limit = options.limit
    this.#maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS
  }

  /** Operations running now (for tests and diagnostics). */
  get running(): number {
    return this.#running
  }

  /** Requests waiting for their turn now. */
  get waiting(): number {
    return this.#waiting.length
  }

  /**
   * Runs `fn` in a turn of its own, once one is free. Rejects with ABORTED when `signal` fires
   * while waiting (the client went away), with TRANSIENT after waiting `maxWaitMs`.
   */
  async run<T>(op: string, signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    await this.#turn(op, signal)
    try {
      return await fn()
    } finally {
      this.#running--
      this.#next()
    }
  }

  #turn(op: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(aborted(op))
    // Behind anyone waiting already, even with a turn free: first come, first served.
    if (this.#waiting.length === 0 && this.#running < this.capacity) {
      this.#running++
      return Promise.resolve()
    }
    return new Promise<void>((resolve, reject) => {
      const leave = (err: SyncError): void => {
        const i = this.#waiting.indexOf(grant)
        if (i < 0) return
        this.#waiting.splice(i, 1)
        done()
        reject(err)
      }
      const onAbort = (): void => leave(aborted(op))
      const timer = setTimeout(() => leave(this.#tooLong(op)), this.#maxWaitMs)
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
      }
      const grant = (): void => {
        done()
        this.#running++
        resolve()
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(grant)
    })
  }

  #next(): void {
    while (this.#running < this.capacity && this.#waiting.length > 0) this.#waiting.shift()!()
  }

  #tooLong(op: string): SyncError {
    const limit = this.#limit === undefined ? '' : ` under its limit of ${this.#limit} open files (ulimit -n)`
    return new SyncError(
      'TRANSIENT',
      `the server is busy: it runs at most ${this.capacity} operations on files at once${limit}, and none ended within ${this.#maxWaitMs / 1000} s`,
      { op: `serve.${op}`, hint: SERVER_FILES_HINT },
    )
  }
}

function aborted(op: string): SyncError {
  return new SyncError('ABORTED', 'the client went away while its request waited for a turn', { op: `serve.${op}` })
}
