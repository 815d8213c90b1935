import { BehaviorSubject, type Observable } from 'rxjs'

/**
 * Pauses a run between actions: while paused, no new transfer, delete or move starts (the ones
 * already writing finish). Wrap the target with `backendView(target, { gate })` to apply it.
 */
export class PauseGate {
  readonly #paused = new BehaviorSubject(false)
  #waiters: (() => void)[] = []

  /** True while paused. */
  get paused(): boolean {
    return this.#paused.value
  }

  /** Emits the paused state now and on every change. */
  get paused$(): Observable<boolean> {
    return this.#paused.asObservable()
  }

  pause(): void {
    if (!this.paused) this.#paused.next(true)
  }

  resume(): void {
    if (!this.paused) return
    this.#paused.next(false)
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) w()
  }

  /** Toggles and returns the new state. */
  toggle(): boolean {
    if (this.paused) this.resume()
    else this.pause()
    return this.paused
  }

  /**
   * Resolves when not paused (returns `undefined` at once when running, to skip an await). An
   * abort releases the wait, so a stop is never held up by a pause.
   */
  wait(signal?: AbortSignal): Promise<void> | undefined {
    if (!this.paused || signal?.aborted) return undefined
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done)
        resolve()
      }
      this.#waiters.push(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }
}
