import type { SerializedError, SyncEvent } from '@syncflow/core'
import type { UiFlags } from '../commands/ui.js'

/** What the engine thread is started with (structured-cloned). */
export interface EngineInput {
  readonly source: string
  readonly target: string
  readonly flags: UiFlags
}

/** Engine thread → UI thread. */
export type EngineMessage =
  /** The job is open (lock held, backends ready); it runs on `start`. */
  | { readonly type: 'opened'; readonly source: string; readonly target: string }
  /** Events in order, a batch at a time. */
  | { readonly type: 'events'; readonly events: readonly SyncEvent[] }
  /** The job could not be opened or run. */
  | { readonly type: 'fatal'; readonly error: SerializedError }
  /** The run ended and the job is closed (state saved, lock released). */
  | { readonly type: 'closed' }

/** UI thread → engine thread (`start`: run the opened job; it waits for it, so the UI can still refuse). */
export type EngineCommand =
  | { readonly type: 'start' }
  | { readonly type: 'pause' }
  | { readonly type: 'resume' }
  | { readonly type: 'abort' }
