import { Worker } from 'node:worker_threads'
import type { SerializedError, SyncEvent } from '@syncflow/core'
import { BehaviorSubject, Observable } from 'rxjs'
import type { EngineCommand, EngineInput, EngineMessage } from './engine-messages.js'
import type { Pausable } from './use-paused.js'

/** A job running on its own thread (`engine-worker.ts`), seen from the UI thread. */
export interface EngineThread {
  /** Resolves once the job is open (with the locations as the backends name them), or rejects with why not. */
  readonly opened: Promise<{ readonly source: string; readonly target: string }>
  /** The run's events; completes when the job is closed. Subscribe once (a SyncEventHub shares it). */
  readonly events$: Observable<SyncEvent>
  /** Pauses and resumes the run (no new transfer starts while paused). */
  readonly gate: Pausable
  /** Runs the opened job (it waits for this, so the UI may still give up with `abort`). */
  start(): void
  /** Asks the run to stop cleanly (state saved). */
  abort(): void
  /** Resolves when the job is closed: with the error that stopped it, if any. */
  readonly closed: Promise<{ readonly fatal?: SerializedError }>
}

/** Starts `syncflow ui`'s job on a worker thread. */
export function startEngineThread(input: EngineInput): EngineThread {
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: input })
  const send = (c: EngineCommand): void => worker.postMessage(c)
  const paused = new BehaviorSubject(false)
  let fatal: SerializedError | undefined
  let markOpened: (v: { source: string; target: string }) => void = () => {}
  let failOpen: (e: SerializedError) => void = () => {}
  const opened = new Promise<{ source: string; target: string }>((resolve, reject) => {
    markOpened = resolve
    failOpen = reject
  })
  let markClosed: () => void = () => {}
  const closed = new Promise<{ fatal?: SerializedError }>((resolve) => {
    markClosed = () => resolve(fatal ? { fatal } : {})
  })
  const listeners = new Set<(m: EngineMessage) => void>()
  worker.on('message', (m: EngineMessage) => {
    if (m.type === 'opened') markOpened({ source: m.source, target: m.target })
    if (m.type === 'fatal') {
      fatal = m.error
      failOpen(m.error)
    }
    for (const l of listeners) l(m)
    if (m.type === 'closed') {
      markClosed()
      // Its work is done and saved: no need to wait for the thread to wind down on its own.
      void worker.terminate()
    }
  })
  worker.on('error', (err: Error) => {
    fatal ??= { code: 'UNKNOWN', message: err.message }
    failOpen(fatal)
    markClosed()
  })
  worker.on('exit', () => markClosed())
  const events$ = new Observable<SyncEvent>((subscriber) => {
    const listener = (m: EngineMessage): void => {
      if (m.type === 'events') for (const e of m.events) subscriber.next(e)
      if (m.type === 'closed') subscriber.complete()
    }
    listeners.add(listener)
    void closed.then(() => subscriber.complete())
    return () => listeners.delete(listener)
  })
  return {
    opened,
    events$,
    gate: {
      get paused() {
        return paused.value
      },
      paused$: paused.asObservable(),
      toggle() {
        const next = !paused.value
        send({ type: next ? 'pause' : 'resume' })
        paused.next(next)
        return next
      },
    },
    start: () => send({ type: 'start' }),
    abort: () => send({ type: 'abort' }),
    closed,
  }
}
