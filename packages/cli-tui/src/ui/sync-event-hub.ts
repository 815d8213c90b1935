import type { SyncEvent, SyncSummary } from '@syncflow/core'
import type { Observer, Subscribable, Unsubscribable } from 'rxjs'

// rxjs is used here for its types only: the UI thread loads Ink and React and nothing of the
// engine (rxjs, @syncflow/core), which runs on its own thread.

/**
 * Follows a run from the moment it starts and hands its events to subscribers that arrive later:
 * until `seal()`, every event is kept and replayed to each new subscriber, so the UI's hooks,
 * subscribing once Ink and React have loaded (a few hundred ms), miss nothing while the run did
 * not wait for them. After `seal()` (once the hooks are subscribed) nothing is kept.
 */
export class SyncEventHub {
  #buffer: SyncEvent[] | undefined = []
  readonly #subscribers = new Set<Partial<Observer<SyncEvent>>>()
  #ended: { readonly error?: unknown } | undefined
  #summary: SyncSummary | undefined
  readonly #source: Unsubscribable
  /** Resolves when the run has ended (completed or failed). */
  readonly ended: Promise<void>

  constructor(run: Subscribable<SyncEvent>) {
    let settle: () => void = () => {}
    this.ended = new Promise<void>((resolve) => {
      settle = resolve
    })
    this.#source = run.subscribe({
      next: (e) => {
        if (e.type === 'done') this.#summary = e.summary
        this.#buffer?.push(e)
        for (const s of this.#subscribers) s.next?.(e)
      },
      error: (error: unknown) => {
        this.#ended = { error }
        for (const s of [...this.#subscribers]) s.error?.(error)
        this.#subscribers.clear()
        settle()
      },
      complete: () => {
        this.#ended = {}
        for (const s of [...this.#subscribers]) s.complete?.()
        this.#subscribers.clear()
        settle()
      },
    })
  }

  /** The run's events: what was kept so far (before `seal()`), then the live ones. */
  readonly events: Subscribable<SyncEvent> = {
    subscribe: (observer) => {
      for (const e of this.#buffer ?? []) observer.next?.(e)
      if (this.#ended) {
        if ('error' in this.#ended) observer.error?.(this.#ended.error)
        else observer.complete?.()
        return { unsubscribe: () => {} }
      }
      this.#subscribers.add(observer)
      return {
        unsubscribe: () => {
          this.#subscribers.delete(observer)
        },
      }
    },
  }

  /** The last `done` summary seen. */
  get summary(): SyncSummary | undefined {
    return this.#summary
  }

  /** Stops keeping events (every subscriber that needs them has subscribed). */
  seal(): void {
    this.#buffer = undefined
  }

  /** Stops following the run. */
  close(): void {
    this.#source.unsubscribe()
  }
}
