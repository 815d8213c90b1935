import { SyncError } from '@syncflow/core'

/**
 * A first-come, first-served budget of bytes that uploads buffer in memory. Each write reserves
 * what it may hold at once (a small body whole; a multipart upload its parts in flight) before it
 * reads anything, so memory stays under the budget however many writes the engine runs at once:
 * 64 small PUTs in flight cost little, 64 multipart uploads do not each take 40 MiB.
 *
 * A reservation bigger than the whole budget is cut to the budget (it then runs alone). Waiters
 * are served in order, so a big reservation is not starved by a stream of small ones.
 */
export class ByteBudget {
  readonly #total: number
  #free: number
  readonly #waiting: { bytes: number; grant: () => void }[] = []

  constructor(total: number) {
    this.#total = Math.max(1, total)
    this.#free = this.#total
  }

  /**
   * Waits until `bytes` (at most the whole budget) are free and takes them; the returned function
   * gives them back (once; later calls do nothing). Rejects with ABORTED when `signal` fires first.
   */
  async acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    const want = Math.min(Math.max(0, Math.ceil(bytes)), this.#total)
    let released = false
    const release = (): void => {
      if (released) return
      released = true
      this.#free += want
      this.#drain()
    }
    if (signal?.aborted) throw aborted()
    if (this.#waiting.length === 0 && want <= this.#free) {
      this.#free -= want
      return release
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        bytes: want,
        grant: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
      }
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(waiter)
        if (i >= 0) this.#waiting.splice(i, 1)
        // The head of the queue leaving may let the next ones in.
        this.#drain()
        reject(aborted())
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.push(waiter)
    })
    return release
  }

  /** Bytes not reserved now (for tests and diagnostics). */
  get free(): number {
    return this.#free
  }

  #drain(): void {
    while (this.#waiting.length > 0 && this.#waiting[0]!.bytes <= this.#free) {
      const next = this.#waiting.shift()!
      this.#free -= next.bytes
      next.grant()
    }
  }
}

function aborted(): SyncError {
  return new SyncError('ABORTED', 'interrupted while waiting for upload memory', { op: 's3.write' })
}
