import { SyncError } from '@syncflow/core'

/** How long a Delta waits for room in the budget before it fails (TRANSIENT: the client tries again). */
const MAX_WAIT_MS = 60_000

/** Options of `SignatureBudget`. */
export interface SignatureBudgetOptions {
  /** Bytes of signatures held at once, across all clients. */
  readonly capacity: number
  /** How long a request waits for room. [60 s] */
  readonly maxWaitMs?: number
}

/**
 * The server's cap on the memory its Delta calls hold, across all clients: each holds the whole
 * signature a client sends (4 + up to 8 bytes per block) until it has been sent in full, then the
 * table that indexes it while the delta is made (`SignatureIndex.bytesFor`: 12 to 30 bytes more per
 * block), and a signature may announce up to 2^27 blocks (1.5 GiB, and 0.75 GiB of table), so a few
 * calls of one client could make the server hold any amount. A call takes its share, as announced by its header, before anything is
 * received; one that does not fit waits, first come first served, for calls to end. A signature
 * larger than the whole budget runs alone (a huge file at --block-size 64 still syncs).
 */
export class SignatureBudget {
  readonly capacity: number
  readonly #maxWaitMs: number
  #held = 0
  readonly #waiting: Array<{ bytes: number; grant: () => void }> = []

  constructor(options: SignatureBudgetOptions) {
    this.capacity = options.capacity
    this.#maxWaitMs = options.maxWaitMs ?? MAX_WAIT_MS
  }

  /** Bytes held now. */
  get held(): number {
    return this.#held
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.#waiting.length
  }

  /**
   * Holds `bytes` once they fit; resolves to the function that gives them back (call it once).
   * Rejects with ABORTED when `signal` fires while waiting, with TRANSIENT after `maxWaitMs`.
   */
  async hold(bytes: number, signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) throw aborted()
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#held += bytes
      return this.#releaser(bytes)
    }
    await new Promise<void>((resolve, reject) => {
      const entry = {
        bytes,
        grant: () => {
          done()
          resolve()
        },
      }
      const leave = (err: SyncError): void => {
        const i = this.#waiting.indexOf(entry)
        if (i < 0) return
        this.#waiting.splice(i, 1)
        done()
        reject(err)
        this.#next() // one behind it may fit
      }
      const onAbort = (): void => leave(aborted())
      const timer = setTimeout(() => leave(this.#busy(bytes)), this.#maxWaitMs)
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', onAbort)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(entry)
    })
    // (Its bytes were added to `held` when it was granted: see #next.)
    return this.#releaser(bytes)
  }

  #fits(bytes: number): boolean {
    return this.#held === 0 || this.#held + bytes <= this.capacity
  }

  #releaser(bytes: number): () => void {
    let given = false
    return () => {
      if (given) return
      given = true
      this.#held -= bytes
      this.#next()
    }
  }

  #next(): void {
    // First come, first served: the head waits for room even if a smaller one behind it would fit.
    while (this.#waiting.length > 0 && this.#fits(this.#waiting[0]!.bytes)) {
      const head = this.#waiting.shift()!
      // Taken here, before the waiter resumes: two grants in a row see each other's bytes.
      this.#held += head.bytes
      head.grant()
    }
  }

  #busy(bytes: number): SyncError {
    const mib = (n: number) => `${Math.ceil(n / 2 ** 20)} MiB`
    return new SyncError(
      'TRANSIENT',
      `the server is busy: its delta calls hold ${mib(this.#held)} of signatures (at most ${mib(this.capacity)}), and no room for this one's ${mib(bytes)} came within ${this.#maxWaitMs / 1000} s`,
      { op: 'serve.delta' },
    )
  }
}

function aborted(): SyncError {
  return new SyncError('ABORTED', 'the client went away while its delta waited for memory', { op: 'serve.delta' })
}
