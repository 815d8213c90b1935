import type { FileHandle } from 'node:fs/promises'

/** Bytes written between two early flushes of a big file. */
export const EARLY_FLUSH_BYTES = 64 * 1024 * 1024

/**
 * Makes a big file's data durable while it is still being written, so that the fsync before its
 * rename has only the last few MiB left to flush: an `fdatasync` in the thread pool after every
 * `every` bytes written, never two at once, never awaited by the writer. Without it, the whole file
 * was flushed after its last byte (~0.4 s per GiB on the benchmark's disk, all of it on the wall
 * clock). Node offers nothing finer without native code (no `sync_file_range`).
 *
 * It only starts writeback earlier: the final fsync still runs, and still before the rename. A
 * flush's error is rethrown by `settle` (Linux reports a write-back error to one fsync of an open
 * file only, so the final fsync might not see it again).
 */
export class EarlyFlush {
  #unflushed = 0
  #running: Promise<void> | undefined
  #error: { err: unknown } | undefined

  constructor(
    private readonly fh: FileHandle,
    private readonly every: number = EARLY_FLUSH_BYTES,
  ) {}

  /** Notes `bytes` more written (and landed in the page cache); may start a flush. */
  wrote(bytes: number): void {
    this.#unflushed += bytes
    if (this.#unflushed < this.every || this.#running !== undefined) return
    this.#unflushed = 0
    this.#running = this.fh.datasync().then(
      () => {
        this.#running = undefined
      },
      (err: unknown) => {
        this.#running = undefined
        this.#error ??= { err }
      },
    )
  }

  /** Waits for a flush under way; throws the error of any flush so far. Call before the final fsync, and before closing. */
  async settle(): Promise<void> {
    await this.#running
    if (this.#error !== undefined) throw this.#error.err
  }
}
