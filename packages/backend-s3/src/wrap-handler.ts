import type { S3Client } from '@aws-sdk/client-s3'

/** The SDK's request handler (a NodeHttpHandler unless configured otherwise). */
export type Handler = S3Client['config']['requestHandler']
/** What the SDK passes to a request handler (an abort signal, a request timeout). */
export type HandlerOptions = { readonly abortSignal?: unknown }

/**
 * A handler that sends through `handle` and is destroyed by `destroy` (default: `inner`'s), and
 * otherwise is `inner`: its metadata, and the NodeHttpHandler methods client extensions call.
 */
export function wrapHandler(
  inner: Handler,
  handle: (request: Parameters<Handler['handle']>[0], options?: HandlerOptions) => ReturnType<Handler['handle']>,
  destroy: () => void = () => inner.destroy?.(),
): Handler {
  const wrapped: Handler = { handle, destroy, ...(inner.metadata ? { metadata: inner.metadata } : {}) }
  const extra = inner as Partial<Record<'updateHttpClientConfig' | 'httpHandlerConfigs', (...a: unknown[]) => unknown>>
  for (const name of ['updateHttpClientConfig', 'httpHandlerConfigs'] as const) {
    const fn = extra[name]
    if (fn) Object.assign(wrapped, { [name]: (...a: unknown[]) => fn.apply(inner, a) })
  }
  return wrapped
}
