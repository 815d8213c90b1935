import { type Handler, type HandlerOptions, wrapHandler } from './wrap-handler.js'

/**
 * `inner`, except that `destroy()` (the client's, when the backend closes) aborts every request
 * still in flight first. Destroying the agent alone closes their sockets, and the SDK reads a closed
 * socket as a network error and tries again on a new one: an interrupted run whose last request got
 * no answer (a hung service) then stayed alive for the SDK's remaining tries × the timeout, after it
 * had said it was done. An aborted request is not tried again. Done here, below the SDK's middleware,
 * so that requests keep being sent without options (see `cacheMiddleware` in s3-client.ts).
 */
export function abortedOnDestroy(inner: Handler): Handler {
  const inFlight = new Set<AbortController>()
  let destroyed = false
  const handle = async (request: Parameters<Handler['handle']>[0], options: HandlerOptions = {}) => {
    const own = new AbortController()
    if (destroyed) own.abort()
    const given = options.abortSignal as AbortSignal | undefined
    const forward = () => own.abort()
    if (given?.aborted) own.abort()
    else given?.addEventListener?.('abort', forward, { once: true })
    inFlight.add(own)
    try {
      return await inner.handle(request, { ...options, abortSignal: own.signal })
    } finally {
      inFlight.delete(own)
      given?.removeEventListener?.('abort', forward)
    }
  }
  return wrapHandler(inner, handle, () => {
    destroyed = true
    for (const c of inFlight) c.abort()
    inner.destroy?.()
  })
}
