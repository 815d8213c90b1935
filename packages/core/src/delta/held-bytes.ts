/** The key of a stream's held bytes (see `HeldBytes`). Registered, so that two copies of core agree. */
export const HELD: unique symbol = Symbol.for('syncflow.held') as never

/**
 * A byte stream whose bytes are all in memory already: a small local file, read whole before it
 * was handed over (LocalBackend's `read`). `[HELD]` is those bytes, the whole stream from its
 * start; a consumer that takes them does not read the stream too, and destroys it afterwards as
 * usual. A stream that was read from, piped or transformed is no longer one (wrap it in another).
 *
 * Why: a consumer that wants the whole body in memory anyway (an S3 PUT, which sends it with its
 * MD5) would otherwise take it apart again through a stream, a meter and an async iterator: about
 * a fifth of the client's CPU per small file in an upload of 10,000 of them.
 */
export interface HeldBytes {
  readonly [HELD]: Buffer
}

/** The bytes `stream` holds when it is a `HeldBytes` stream not yet read, else `undefined`. */
export function heldBytesOf(stream: unknown): Buffer | undefined {
  if (typeof stream !== 'object' || stream === null) return undefined
  const held = (stream as Partial<HeldBytes>)[HELD]
  if (!Buffer.isBuffer(held)) return undefined
  // Once its reading began, part of it may be gone to another consumer: no longer whole.
  const readable = stream as { readableDidRead?: boolean; destroyed?: boolean }
  return readable.readableDidRead === true || readable.destroyed === true ? undefined : held
}

/** `stream`, which now also answers `[HELD]` with `data`, its whole content (for backends: see `HeldBytes`). */
export function withHeldBytes<T extends object>(stream: T, data: Buffer): T & HeldBytes {
  return Object.assign(stream, { [HELD]: data })
}
