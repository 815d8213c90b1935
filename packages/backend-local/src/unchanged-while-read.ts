import type { Stats } from 'node:fs'
import { SyncError } from '@syncflow/core'

/**
 * True when `now` is still the file that `before` described: same inode, size, mtime and ctime
 * (a write changes the last two even when it keeps the size, and a writer that puts the mtime back
 * still moves the ctime).
 */
export function sameFile(before: Stats, now: Stats): boolean {
  return (
    before.ino === now.ino &&
    before.size === now.size &&
    before.mtimeMs === now.mtimeMs &&
    before.ctimeMs === now.ctimeMs
  )
}

/**
 * The error of a source file that changed while it was read: TRANSIENT, so the engine tries again
 * (the file has likely settled), and the bytes read are never published, since they may mix two
 * versions into one that never existed (QA: an edit near the start, then one near the end, of a
 * 20 MiB file being copied came out as the second edit without the first). rclone fails such a
 * transfer alike ("source file is being updated").
 */
export function changedWhileRead(op: string, path: string): SyncError {
  return new SyncError('TRANSIENT', 'the source file changed while it was read', {
    op,
    path,
    hint: 'It is read again on the next attempt. A file that is always being written (a log) is better excluded, or, if it is only appended to, copied up to its listed size with --no-check-updated.',
  })
}

/**
 * Holds back the end of `stream` (a read of a whole file or a range of it) until `check` has
 * resolved; its rejection becomes the stream's error, so a consumer never sees the end of a read
 * that raced a writer (a write into the target is then abandoned, never committed). Done at the
 * `push(null)` of the end, not with a Transform: no extra stream per file read.
 */
export function checkBeforeEnd<T extends { push(chunk: unknown): boolean; destroy(err?: Error): unknown }>(
  stream: T,
  check: () => Promise<void>,
): T {
  const push = stream.push.bind(stream)
  let state: 'reading' | 'checking' | 'done' = 'reading'
  stream.push = (chunk: unknown): boolean => {
    if (chunk !== null || state === 'done') return push(chunk)
    if (state === 'checking') return false
    state = 'checking'
    check().then(
      () => {
        state = 'done'
        push(null)
      },
      (err: unknown) => {
        state = 'done'
        stream.destroy(err instanceof Error ? err : new Error(String(err)))
      },
    )
    return false
  }
  return stream
}
