/** A run's own abort controller, aborted with the caller's signal too (see `linkedAbort`). */
export interface LinkedAbort {
  readonly controller: AbortController
  readonly signal: AbortSignal
  /** Stops following the caller's signal (the run is over). */
  unlink(): void
}

/**
 * A controller of the run's own that the caller's `outer` signal also aborts: the run aborts it
 * itself when it is unsubscribed, without aborting the caller's.
 */
export function linkedAbort(outer: AbortSignal | undefined): LinkedAbort {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort()
  outer?.addEventListener('abort', onAbort, { once: true })
  if (outer?.aborted) controller.abort()
  return { controller, signal: controller.signal, unlink: () => outer?.removeEventListener('abort', onAbort) }
}
