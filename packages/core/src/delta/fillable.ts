/** The key of a stream's fill method (see `Fillable`). Registered, so that two copies of core agree. */
export const FILL: unique symbol = Symbol.for('syncflow.fill') as never

/**
 * A byte stream that can also be read into buffers the caller owns. `[FILL](buf, offset, length)`
 * reads the stream's next bytes into `buf[offset, offset + length)` and resolves with how many it
 * read: fewer than `length` is not the end, only 0 is.
 *
 * Why: a stream hands out a fresh buffer per chunk, which a consumer may keep, so it can never
 * reuse one; read at 1 MiB a chunk, a GiB of them keeps the garbage collector busy (V8 runs a full
 * collection for every few tens of MiB of such external memory: ~0.9 s of CPU per GiB here). A
 * consumer that is done with each chunk before it asks for the next (a delta's matching pass, a
 * writer, a hash) can fill the same buffers again and again instead.
 *
 * Rules: a consumer uses either `[FILL]` or the stream's usual reading, never both; one call at a
 * time; `destroy()` the stream afterwards as usual (it owns the file handle). Errors are those the
 * stream would emit. The stream may still read the bytes it filled until the next call returns (a
 * patched stream hashes them then, while its next read is under way): the consumer may read, copy
 * or write them out, but leaves them unchanged until then; filling the same memory again is fine.
 */
export interface Fillable {
  [FILL](buf: Uint8Array, offset: number, length: number): Promise<number>
}

/** `stream` as a `Fillable` when it is one (see `withFill`), else `undefined`. */
export function fillableOf(stream: unknown): Fillable | undefined {
  return typeof stream === 'object' && stream !== null && typeof (stream as Partial<Fillable>)[FILL] === 'function'
    ? (stream as Fillable)
    : undefined
}

/** `stream`, which now also answers `[FILL]` with `fill` (for backends: see `Fillable`). */
export function withFill<T extends object>(stream: T, fill: Fillable[typeof FILL]): T & Fillable {
  return Object.assign(stream, { [FILL]: fill })
}

/** What `withRangeFill` reads with: `FileHandle.read` of node:fs/promises. */
export interface PositionalReader {
  read(buf: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>
}

/**
 * `stream`, a read of `[start, end)` of the file open as `handle`, made `Fillable` by positional
 * reads from that same handle (a consumer uses one or the other, never both). Read errors are
 * passed through `mapError`, so that fills fail as the stream would. `atEnd`, when given, runs
 * once when the range has been read, before the fill reports the end: its rejection fails that
 * fill (a source that checks it did not change while it was read).
 */
export function withRangeFill<T extends object>(
  stream: T,
  handle: PositionalReader,
  start: number,
  end: number,
  mapError: (err: unknown) => unknown,
  atEnd?: () => Promise<void>,
): T & Fillable {
  let pos = start
  let checked = atEnd === undefined
  return withFill(stream, async (buf, offset, length) => {
    const want = Math.min(length, end - pos)
    if (want <= 0) {
      if (!checked) {
        checked = true
        await (atEnd as () => Promise<void>)()
      }
      return 0
    }
    try {
      const { bytesRead } = await handle.read(buf, offset, want, pos)
      pos += bytesRead
      return bytesRead
    } catch (err) {
      throw mapError(err)
    }
  })
}
