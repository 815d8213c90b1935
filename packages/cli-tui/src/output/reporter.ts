import type { SerializedError, SyncEvent, SyncSummary } from '@syncflow/core'

/** Renders one run's SyncEvent stream. */
export interface Reporter {
  /** Called for every event, in order; the last is `done`. */
  event(event: SyncEvent): void
  /** The user asked to stop (first Ctrl-C, or `signal`): say that the run is stopping. */
  interrupting(signal?: NodeJS.Signals): void
  /** Called once at the end: clears the progress line, prints the summary when there is one. */
  end(summary: SyncSummary | undefined): void
  /** True when this error was already printed in full (message and hint): the run's fatal error need not be again. */
  shown?(error: SerializedError): boolean
}

/**
 * How to quit at once after the first `signal`: Ctrl-C again, or another SIGTERM (a `kill`, a
 * service manager, where "Ctrl-C again" told of a key nobody pressed; QA 28d).
 */
export function quitAtOnceHint(signal: NodeJS.Signals | undefined): string {
  return signal === 'SIGTERM' ? 'SIGTERM: another signal quits at once' : 'Ctrl-C again to quit at once'
}
