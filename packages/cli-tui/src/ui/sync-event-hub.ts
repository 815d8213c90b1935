import type { SyncEvent, SyncSummary } from '@syncflow/core'
import { Observable, type Subscriber, type Subscription } from 'rxjs'

/**
 * Runs a sync at once and hands its events to subscribers that arrive later: until `seal()`, every
 * event is kept and replayed to each new subscriber, so the UI's hooks, subscribing once Ink and
 * React have loaded (a few hundred ms), miss nothing while the sync did not wait for them. After
 * `seal()` (once the hooks are subscribed) nothing is kept.
 */
export class SyncEventHub {
  #buffer: SyncEvent[] | undefined = []
  readonly #subscribers = new Set<Subscriber<SyncEvent>>()
  #ended: { readonly error?: unknown } | undefined
  #summary: SyncSummary | undefined
  readonly #source: Subscription
  /** Resolves when the run has ended (completed or failed). */
  readonly ended: Promise<void>

  constructor(run$: Observable<SyncEvent>) {
    let settle: () => void = () => {}
    this.ended = new Promise<void>((resolve) => {
      settle = resolve
    })
    this.#source = run$.subscribe({
      next: (e) => {
        if (e.type === 'done') this.#summary = e.summary
        this.#buffer?.push(e)
        for (const s of this.#subscribers) s.next(e)
      },
      error: (error: unknown) => {
        this.#ended = { error }
        for (const s of this.#subscribers) s.error(error)
        settle()
      },
      complete: () => {
        this.#ended = {}
        for (const s of this.#subscribers) s.complete()
        settle()
      },
    })
  }

  /** The run's events: what was kept so far (before `seal()`), then the live ones. */
  readonly events$ = new Observable<SyncEvent>((subscriber) => {
    for (const e of this.#buffer ?? []) subscriber.next(e)
    if (this.#ended) {
      if ('error' in this.#ended) subscriber.error(this.#ended.error)
      else subscriber.complete()
      return
    }
    this.#subscribers.add(subscriber)
    return () => {
      this.#subscribers.delete(subscriber)
    }
  })

  /** The last `done` summary seen. */
  get summary(): SyncSummary | undefined {
    return this.#summary
  }

  /** Stops keeping events (every subscriber that needs them has subscribed). */
  seal(): void {
    this.#buffer = undefined
  }

  /** Stops the run (unsubscribes it; the engine aborts as on a signal). */
  close(): void {
    this.#source.unsubscribe()
  }
}
