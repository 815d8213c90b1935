import type { SerializedError, SyncEvent, SyncSummary } from '@syncflow/core'

/** Renders one run's SyncEvent stream. */
export interface Reporter {
  /** Called for every event, in order; the last is `done`. */
  event(event: SyncEvent): void
  /** The user asked to stop (first Ctrl-C): say that the run is stopping. */
  interrupting(): void
  /** Called once at the end: clears the progress line, prints the summary when there is one. */
  end(summary: SyncSummary | undefined): void
  /** True when this error was already printed in full (message and hint): the run's fatal error need not be again. */
  shown?(error: SerializedError): boolean
}
