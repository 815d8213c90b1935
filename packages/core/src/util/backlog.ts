/**
 * Bounds the number of items between the listing and the end of the pipeline. RxJS has no
 * demand signal, so the listing (a pull-based async loop) awaits `room()` before it emits, and
 * the pipeline calls `release()` when an item is finished. Memory stays flat however long the
 * listing is, and however slow the transfers are (rclone's --max-backlog plays the same role).
 */
export class Backlog {
  #outstanding = 0
  #waiters: (() => void)[] = []

  /** @param limit items allowed in flight before the producer waits. */
  constructor(readonly limit: number) {}

  /** Items taken and not yet released. */
  get outstanding(): number {
    return this.#outstanding
  }

  /** Takes one slot; resolves at once when there is room (returns undefined to skip an await). */
  take(): Promise<void> | undefined {
    if (this.#outstanding < this.limit) {
      this.#outstanding++
      return undefined
    }
    return new Promise<void>((resolve) => {
      this.#waiters.push(() => {
        this.#outstanding++
        resolve()
      })
    })
  }

  /** Releases `n` slots and wakes waiting producers. */
  release(n = 1): void {
    this.#outstanding -= n
    while (this.#outstanding < this.limit && this.#waiters.length > 0) this.#waiters.shift()?.()
  }

  /** Wakes every waiter (on abort) so the producer can observe the abort and stop. */
  drain(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }
}
