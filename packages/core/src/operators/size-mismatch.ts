import { pipeline, type Readable } from 'node:stream'
import type { Backend, ReadOptions, ReadRange } from '../backend/backend.js'
import { schemeOf } from '../backend/backend-registry.js'
import { FILL, fillableOf, withFill } from '../delta/fillable.js'
import { heldBytesOf } from '../delta/held-bytes.js'
import { SyncError } from '../errors/sync-error.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import { type MeterOptions, meterStream } from '../util/meter-stream.js'
import { untilAborted } from '../util/until-aborted.js'

/**
 * The failure of a read whose length is not the size the source listed: a read that ends short (a
 * plugin's broken stream, a file truncated since it was listed) or runs long is never published as
 * the file, and its failure holds a mirror's deletes back (QA 7 #6: a 1000-byte read of a
 * 200000-byte entry replaced the target's good copy, "copied", exit 0). rclone fails such a copy
 * alike ("source file is being updated"). CONFLICT: not retried at once, since the plan holds the
 * old size; the next run (or a watch's next cycle) lists the file anew.
 */
export function sizeMismatch(
  source: Backend,
  path: string,
  listed: number,
  read: number,
  ended: boolean,
  hint = SIZE_MISMATCH_HINT,
): SyncError {
  const scheme = schemeOf(source.uri)
  const got = ended ? `${read} byte${read === 1 ? '' : 's'}` : `more than ${listed} bytes`
  return new SyncError(
    'CONFLICT',
    `the source's read gave ${got} where its listing gave ${listed}: it changed since it was listed, or its reader is broken; nothing was written`,
    {
      op: `${scheme === 'file' ? 'local' : scheme}.read`,
      path,
      hint,
    },
  )
}

/** What to do about a source file that changed between its listing and its copy. */
export const SIZE_MISMATCH_HINT =
  'Run again: a file that changed is then copied as it is now. One that is always being written (a log) fails so every time: give --no-check-updated (its first bytes, as many as were listed, are then copied as they are, as rclone --local-no-check-updated does: right for a file only appended to), or exclude it. (`syncflow watch` tries it again at its next change: it lands once a cycle meets it between two writes.) A file that fails so while unchanged is read wrong by the source backend: for a --plugin, report it to its author.'

/**
 * What to do about a source file that shrank or was rewritten between its listing and its copy
 * under --no-check-updated: the listed bytes are no longer there to copy, and SIZE_MISMATCH_HINT
 * told the user to give the flag the run had (QA 29a #8).
 */
export const SHRUNK_HINT =
  'Run again: the file is then copied as it is now. --no-check-updated copies the bytes a file had when listed only while it still has them: a file appended to since, not one truncated or rewritten.'

/**
 * What to do about an object (a source whose files are replaced whole, never written in place)
 * that changed between its listing and its copy: `--no-check-updated` is for growing files.
 */
export const OBJECT_REPLACED_HINT = 'Run again: the next run copies the object as it is then.'

/** What `sourceChanged` compares: an entry's size, mtime and version. */
export type ListedFile = Pick<Entry, 'size' | 'mtimeMs' | 'version'>

/**
 * The failure of a read or copy whose source, when opened, is no longer the entry it was planned
 * for (`ReadOptions.expect`): CONFLICT, as a read of another length is (`sizeMismatch`), since its
 * bytes would be written under the listed mtime. `now` is what the backend found, or a phrase
 * saying what it was told (an S3 `If-Match` refused). `hint`: `OBJECT_REPLACED_HINT` for an object.
 */
export function sourceChanged(
  op: string,
  path: string,
  listed: ListedFile,
  now: ListedFile | string,
  hint = SIZE_MISMATCH_HINT,
): SyncError {
  let what: string
  if (typeof now === 'string') what = now
  else if (now.size !== listed.size) what = `its size went from ${listed.size} to ${now.size} bytes`
  else if (now.mtimeMs !== listed.mtimeMs) {
    what = `its mtime went from ${isoOf(listed.mtimeMs)} to ${isoOf(now.mtimeMs)}`
  } else what = 'it was rewritten or replaced'
  return new SyncError('CONFLICT', `the source file changed since it was listed (${what}); nothing was written`, {
    op,
    path,
    hint,
  })
}

function isoOf(ms: number): string {
  const d = new Date(ms)
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString()
}

/** True when `now` is still the file `listed` describes (size, mtime, and version where both have one). */
export function isListedFile(listed: ListedFile, now: ListedFile): boolean {
  return (
    now.size === listed.size &&
    now.mtimeMs === listed.mtimeMs &&
    (listed.version === undefined || now.version === undefined || now.version === listed.version)
  )
}

/** A read whose bytes are held to the size the source listed (see `sizeMismatch`). */
export interface CheckedRead {
  /** `body`, failing with the mismatch when its length is not `size` (no check when undefined). */
  check(body: Readable): Readable
  /** The mismatch, once one of the checked reads failed with it: the error to report, whatever the target made of it. */
  readonly error: SyncError | undefined
  /** The same check for a `meterStream` a caller pipes the read through anyway (to count its bytes). */
  readonly meterOptions: MeterOptions
  /**
   * Opens the read, to pass to `check`: `source.read` with the options given (`expect`), or, with
   * `tolerateChanges`, of the listed size's bytes only (a log being appended is read as it was
   * when listed, as rclone --local-no-check-updated does; a shorter read still fails).
   */
  open(): Promise<Readable>
}

/**
 * Checks reads of `path` on `source` against `size`. A target reports a failed stream in its own
 * words (or as its own write's failure), so the caller rethrows `error` in preference to what the
 * target threw. `readOptions` are those `open` reads with (see `ReadOptions`).
 *
 * A stream with a fill (see `Fillable`: a local file's read) is checked in place, on its `[FILL]`
 * and its own `push`: piped through another stream its fill was hidden, and a delta of a GiB read
 * through streams cost twice the CPU (1.27 s → 2.60 s on the client in bench/grpc).
 */
export function checkedRead(
  source: Backend,
  path: RelPath,
  size: number | undefined,
  readOptions: ReadOptions = {},
): CheckedRead {
  let error: SyncError | undefined
  const mismatch = (total: number, ended: boolean): SyncError => {
    const hint = readOptions.tolerateChanges ? SHRUNK_HINT : SIZE_MISMATCH_HINT
    error ??= sizeMismatch(source, path, size ?? 0, total, ended, hint)
    return error
  }
  const meterOptions: MeterOptions = size === undefined ? {} : { expectBytes: size, onSizeMismatch: mismatch }
  return {
    meterOptions,
    open() {
      const signal = readOptions.signal
      const opening = (): Promise<Readable> => {
        if (readOptions.tolerateChanges && size !== undefined) {
          return source.read(path, { offset: 0, length: size }, readOptions)
        }
        return readOptions.expect === undefined && signal === undefined
          ? source.read(path)
          : source.read(path, undefined, readOptions)
      }
      return raceRead(opening, signal, path)
    },
    check(body) {
      if (size === undefined) return body
      const held = heldBytesOf(body)
      if (held !== undefined) {
        // Its length is known before anything reads it: a mismatch fails it at once, however it is read.
        if (held.length !== size) {
          body.on('error', () => {})
          body.destroy(mismatch(held.length, true))
        }
        return body
      }
      const fillable = fillableOf(body)
      // A stream without a fill (a --plugin's, a Transform) goes through a checking stream: its
      // failure reaches whoever reads, however it reads. Checked in place, a Transform's end (its
      // _final) was destroyed with nobody listening, and a delta patched its short bytes in (QA 9 #1).
      if (fillable === undefined) {
        const meter = meterStream(() => {}, meterOptions)
        return pipeline(body, meter, () => {}) as unknown as Readable
      }
      let total = 0
      const fill = fillable[FILL].bind(body)
      withFill(body, async (buf, offset, length) => {
        const n = await fill(buf, offset, length)
        total += n
        if (total > size || (n === 0 && total !== size)) throw mismatch(total, n === 0)
        return n
      })
      // Read as a stream instead (a fillable backend's own read: its end comes through push(null)).
      // Whoever reads gets the error as ever; `error` keeps it for the caller, should nobody listen.
      body.on('error', () => {})
      const push = body.push.bind(body)
      body.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
        if (chunk === null) {
          if (total === size) return push(null)
          body.destroy(mismatch(total, true))
          return false
        }
        total += typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : (chunk as Uint8Array).length
        if (total <= size) return push(chunk, encoding)
        body.destroy(mismatch(total, false))
        return false
      }
      return body
    },
    get error() {
      return error
    },
  }
}

/**
 * `open()` (a backend's read), raced against the run's abort `signal`: a read that never settles
 * and ignores the signal (a plugin's server that does not answer) kept the run waiting after the
 * first Ctrl-C, for ever. A stream it resolves to after that is nobody's: destroyed.
 */
export function raceRead(
  open: () => Promise<Readable>,
  signal: AbortSignal | undefined,
  path: RelPath,
): Promise<Readable> {
  if (signal === undefined) return open()
  let opened: Promise<Readable> | undefined
  return untilAborted(
    () => {
      opened = open()
      return opened
    },
    signal,
    'read',
    path,
  ).catch((err: unknown) => {
    if (signal.aborted)
      opened?.then(
        (body) => body.destroy(),
        () => {},
      )
    throw err
  })
}

/**
 * A read of the target (`range` of it) given the run's `signal` and raced against it (see
 * `raceRead`): the old file kept for --backup-dir, a delta's base. A plugin target's read() that
 * never settled there kept a stopped run waiting, as a source's did before (fx26-a #3).
 */
export function readOfTarget(
  target: Backend,
  path: RelPath,
  range: ReadRange | undefined,
  signal: AbortSignal | undefined,
  readOptions: ReadOptions = {},
): Promise<Readable> {
  if (signal === undefined) {
    return Object.keys(readOptions).length === 0 && range === undefined
      ? target.read(path)
      : target.read(path, range, readOptions)
  }
  return raceRead(() => target.read(path, range, { ...readOptions, signal }), signal, path)
}
