import { type Handler, type HandlerOptions, wrapHandler } from './wrap-handler.js'

/**
 * An endpoint that answered no request within the connection timeout (`--contimeout`): not
 * connected. Not a name the SDK retries: a retry would wait as long again for the same silence.
 */
export class NotConnectedError extends Error {
  override readonly name = 'NotConnectedError'
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`)
  }
}

/**
 * The SDK's own connection timeout: the TCP connection was not made in time. The SDK names it and
 * its socket inactivity timeout alike (`TimeoutError`, no code); only the text tells them apart.
 */
export function isConnectionTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null
  return (
    e?.name === 'TimeoutError' &&
    e.code === undefined &&
    typeof e.message === 'string' &&
    e.message.includes('did not establish a connection')
  )
}

/**
 * `inner`, except that until the endpoint has answered one request, a request without a body
 * (GET, HEAD, DELETE: the HeadBucket, LIST or stat a run starts with) that gets no answer within
 * `connectMs` is abandoned with a `NotConnectedError`, as is one whose TCP connection is not made
 * in time. HTTP has no greeting: a server that accepts connections and never answers (hung,
 * stopped, a wrong port) would otherwise be waited on for the I/O timeout, 60 s, on each of the
 * SDK's three attempts. Requests with a body (an upload) are left alone: sending it takes as long
 * as it takes. Once anything answered, the endpoint is connected and nothing is changed.
 */
export function boundUntilAnswered(inner: Handler, connectMs: number): Handler {
  let answered = false
  const handle = async (request: Parameters<Handler['handle']>[0], options: HandlerOptions = {}) => {
    const method = (request as { method?: string }).method
    if (answered || (method !== 'GET' && method !== 'HEAD' && method !== 'DELETE')) {
      const out = await inner.handle(request, options)
      answered = true
      return out
    }
    const giveUp = new AbortController()
    const given = options.abortSignal as AbortSignal | undefined
    const forward = () => giveUp.abort()
    if (given?.aborted) giveUp.abort()
    else given?.addEventListener?.('abort', forward, { once: true })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      giveUp.abort()
    }, connectMs)
    try {
      const out = await inner.handle(request, { ...options, abortSignal: giveUp.signal })
      answered = true
      return out
    } catch (err) {
      if (timedOut || isConnectionTimeout(err)) throw new NotConnectedError(connectMs)
      throw err
    } finally {
      clearTimeout(timer)
      given?.removeEventListener?.('abort', forward)
    }
  }
  return wrapHandler(inner, handle)
}
