import type { Stats } from 'node:fs'
import { isListedFile, type ListedFile, SIZE_MISMATCH_HINT, SyncError } from '@syncflow/core'
import { listedOf } from './walk-sorted.js'

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
 * The error of a source file that changed while it was read; the bytes read are never published,
 * since they may mix two versions into one that never existed (QA: an edit near the start, then
 * one near the end, of a 20 MiB file being copied came out as the second edit without the first).
 * rclone fails such a transfer alike ("source file is being updated").
 *
 * A read held to the planned entry (`expect`) that `now` no longer is: CONFLICT, as a file changed
 * before its open is (`sourceChanged`). The engine's retry would read with the same `expect` and be
 * refused at its open, always: a local entry's version is its inode and ctime, and every change
 * `sameFile` sees moves one of them. So the retry only cost a backoff, and a watch's busy log ended
 * in CONFLICT one wait later. Otherwise (no `expect`) TRANSIENT: a retry reads the file as it is then.
 */
export function changedWhileRead(op: string, path: string, expect?: ListedFile, now?: Stats): SyncError {
  if (expect !== undefined && now !== undefined && !isListedFile(expect, listedOf(now))) {
    return new SyncError(
      'CONFLICT',
      `the source file changed while it was read (${whatChanged(expect, listedOf(now))}); nothing was written`,
      { op, path, hint: SIZE_MISMATCH_HINT },
    )
  }
  return new SyncError('TRANSIENT', 'the source file changed while it was read', {
    op,
    path,
    hint: 'It is read again on the next attempt. A file that is always being written (a log) is better excluded, or, if it is only appended to, copied up to its listed size with --no-check-updated.',
  })
}

/** How `now` differs from `listed`, in a user's words. */
function whatChanged(listed: ListedFile, now: ListedFile): string {
  if (now.size !== listed.size) return `its size went from ${listed.size} to ${now.size} bytes`
  if (now.mtimeMs !== listed.mtimeMs) return 'its mtime changed'
  return 'it was rewritten in place, or its mode, owner or links changed'
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
