/**
 * A signal that aborts `ms` after `signal` does (undefined without one), and its clean-up: the
 * listener on `signal` and the timer go once the request is answered.
 */
export function afterGrace(
  signal: AbortSignal | undefined,
  ms: number,
): { readonly signal: AbortSignal; dispose(): void } | undefined {
  if (!signal) return undefined
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const start = (): void => {
    timer = setTimeout(() => controller.abort(signal.reason), ms)
  }
  if (signal.aborted) start()
  else signal.addEventListener('abort', start, { once: true })
  return {
    signal: controller.signal,
    dispose: () => {
      signal.removeEventListener('abort', start)
      if (timer !== undefined) clearTimeout(timer)
    },
  }
}
