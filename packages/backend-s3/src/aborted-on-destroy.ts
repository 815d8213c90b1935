import { type Handler, type HandlerOptions, wrapHandler } from './wrap-handler.js'

/** How long requests still in flight when the client is destroyed may finish on their own. */
export const DESTROY_GRACE_MS = 2000

/**
 * `inner`, except that `destroy()` (the client's, when the backend closes) aborts the requests in
 * flight `graceMs` later (at once when none is). Destroying the agent alone closes their
 * sockets, and the SDK reads a closed socket as a network error and tries again on a new one: a run
 * whose last request got no answer (a hung service) then stayed alive for the SDK's remaining tries
 * × the timeout after it had said it was done. An aborted request is not tried again. The grace lets
 * what is nearly done finish first, and requests sent after the close still go out (review 20 #4:
 * aborted, or refused as sent after the close, lib-storage's AbortMultipartUpload of an interrupted
 * upload left it unfinished on the service; the backend now aborts such an upload itself, and its
 * close() waits for that before destroying the client, see `uploadRequests`). Done here, below the
 * SDK's middleware, so that requests keep being sent without options (see `cacheMiddleware` in
 * s3-client.ts).
 */
export function abortedOnDestroy(inner: Handler, graceMs = DESTROY_GRACE_MS): Handler {
  const inFlight = new Set<AbortController>()
  const handle = async (request: Parameters<Handler['handle']>[0], options: HandlerOptions = {}) => {
    const own = new AbortController()
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
  const abortAll = (): void => {
    for (const c of inFlight) c.abort()
    inner.destroy?.()
  }
  return wrapHandler(inner, handle, () => {
    if (inFlight.size === 0) abortAll()
    // unref'd: it never keeps the process alive by itself, only the requests do.
    else setTimeout(abortAll, graceMs).unref()
  })
}
