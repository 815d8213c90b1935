import { Observable, type OperatorFunction, type Subscriber } from 'rxjs'
import { type Backend, supports } from '../backend/backend.js'
import { asSyncError, isSyncError, SyncError } from '../errors/sync-error.js'
import type { Entry } from '../model/entry.js'
import type { RelPath } from '../model/rel-path.js'
import type { CompletedEvent, SyncEvent } from '../model/sync-event.js'
import { addAncestorDirs } from '../util/add-ancestor-dirs.js'
import { mapConcurrent } from '../util/map-concurrent.js'
import { commonHash, hashOf, matchesFingerprint } from './decide.js'

/** Source files removed together, after one flush of their copies. */
const BATCH = 128
/** A batch that does not fill goes this long after its first file at the latest. */
const MAX_WAIT_MS = 100

export interface SourceRemoverOptions {
  readonly source: Backend
  readonly target: Backend
  readonly dryRun: boolean
  readonly signal: AbortSignal
  /** Removals at once within a batch. */
  readonly concurrency: number
  /**
   * The planner compared content (`--checksum` with a hash both sides offer): a file it found
   * unchanged holds the same bytes on both sides. Otherwise each is hashed on both sides before its
   * source goes (see `unchanged`).
   */
  readonly comparedContent: boolean
  /**
   * rclone's `--delete-empty-src-dirs`: at the end, the source's directories left empty are removed
   * too, deepest first: those the target has (made, touched or found there) and those files were
   * removed from. Not the root; not one that still holds anything (an excluded file, a file kept).
   */
  readonly removeEmptyDirs?: boolean
  /** Source paths never removed (`SyncOptions.keepSourcePaths`: the source's `.syncflowignore`). */
  readonly keep?: ReadonlySet<string>
}

/**
 * A source file to remove; `target`: the target's entry where its content is still to be compared
 * (`stat`: the target's file as it is now).
 */
interface Removal {
  readonly source: Entry
  readonly target?: Entry | 'stat'
  /** Written by this run (its data made durable before its rename): only its name is to flush. */
  readonly written?: true
  /** The target's entry the action left: the source's own file where a move linked it (same version). */
  readonly result?: Entry
}

/**
 * `SyncOptions.removeSourceFiles` (rsync's `--remove-source-files`, rclone's `move`): deletes from the
 * source each file the target now holds — a copy, update or touch that completed, and a file the
 * planner found unchanged there (`unchanged`) — and says so with a `removed` event. In batches: the
 * target first makes the batch's copies durable (`Flushable.flush`), so that a crash never leaves a
 * file on neither side; then each source file is deleted only while it is still what was listed
 * (rsync 3.1 checks size and mtime too): one changed since is kept and reported as failed (stage
 * `remove-source`), as is every file of a batch whose flush failed. Nothing is removed once the run
 * is stopped. Directories are never removed.
 */
export class SourceRemover {
  readonly #o: SourceRemoverOptions
  readonly #queue: Removal[] = []
  #out: Subscriber<SyncEvent> | undefined
  #upstreamDone = false
  #running = false
  #timer: ReturnType<typeof setTimeout> | undefined
  /** With `removeEmptyDirs`: the source's directories to try at the end (no more than it has). */
  readonly #dirs = new Set<string>()
  #dirsDone = false

  constructor(opts: SourceRemoverOptions) {
    this.#o = opts
  }

  /**
   * A source entry the planner found on the target as it is (no action): removed as the copied
   * are, once their contents compare equal. Size and mtime alike (or a record of the last run) do
   * not prove the same bytes, and the target's copy is all that will be left: a source file whose
   * target file differs is kept and reported (`CONFLICT`), one that cannot be compared (no hash
   * both sides offer) too.
   */
  unchanged(source: Entry, target: Entry): void {
    if (source.kind === 'dir') {
      if (this.#o.removeEmptyDirs) this.#dirs.add(source.path)
      return
    }
    if (this.#o.keep?.has(source.path)) return
    this.#queue.push(this.#o.comparedContent || source.kind !== 'file' ? { source } : { source, target })
    this.#pump()
  }

  /** Passes every event through, adding the removals' own; completes once the last batch has gone. */
  operator(): OperatorFunction<SyncEvent, SyncEvent> {
    return (events$) =>
      new Observable<SyncEvent>((out) => {
        this.#out = out
        const sub = events$.subscribe({
          next: (e) => {
            out.next(e)
            if (e.type === 'completed') this.#completed(e)
          },
          error: (err: unknown) => out.error(err),
          complete: () => {
            this.#upstreamDone = true
            this.#pump()
          },
        })
        return () => {
          sub.unsubscribe()
          if (this.#timer !== undefined) clearTimeout(this.#timer)
        }
      })
  }

  /** A completed action: the target holds its source file once it copied it, or touched it. */
  #completed(e: CompletedEvent): void {
    const { kind, source: src, target: dst, reason } = e.action
    if (src?.kind === 'dir' && this.#o.removeEmptyDirs && (kind === 'mkdir' || kind === 'touch'))
      this.#dirs.add(src.path)
    if (src === undefined || src.kind === 'dir' || this.#o.keep?.has(src.path)) return
    // A file linked rather than copied holds what it was linked to: a --link-dest file alike only by
    // size, mtime and mode, or (-H) another name's copy, itself maybe only alike: compared here
    // (review of move #1, #5: the source's bytes were removed where the target held others).
    if (e.linked && src.kind === 'file') this.#queue.push({ source: src, target: e.result ?? 'stat' })
    // Only a move by link hands on its result: an S3 server-side copy's ETag equals the source's
    // too, yet it is a copy, said `copied` then `removed` (the summary had it `moved` alone).
    else if (kind === 'copy' || kind === 'update')
      this.#queue.push({ source: src, written: true, ...(e.moved && e.result ? { result: e.result } : {}) })
    // A touch carries the mtime (or mode) to a file whose content is the source's: compared by the
    // planner, or alike only by size and mtime (a mode carried), to be compared here.
    else if (kind === 'touch' && dst !== undefined) {
      const compared = this.#o.comparedContent || CONTENT_COMPARED.has(reason ?? '') || src.kind !== 'file'
      this.#queue.push(compared ? { source: src } : { source: src, target: dst })
    } else return
    this.#pump()
  }

  #pump(): void {
    const out = this.#out
    if (out === undefined || this.#running) return
    if (this.#queue.length === 0) {
      if (!this.#upstreamDone) return
      if (this.#dirs.size === 0 || this.#dirsDone) {
        out.complete()
        return
      }
      this.#dirsDone = true
      this.#running = true
      this.#removeDirs(out)
        .catch((err: unknown) => out.error(err))
        .finally(() => {
          this.#running = false
          this.#pump()
        })
      return
    }
    if (this.#queue.length < BATCH && !this.#upstreamDone) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined
        this.#take(out)
      }, MAX_WAIT_MS)
      return
    }
    this.#take(out)
  }

  #take(out: Subscriber<SyncEvent>): void {
    if (this.#running || this.#queue.length === 0) return
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer)
      this.#timer = undefined
    }
    this.#running = true
    const batch = this.#queue.splice(0, BATCH)
    this.#removeBatch(batch, out)
      .catch((err: unknown) => out.error(err))
      .finally(() => {
        this.#running = false
        this.#pump()
      })
  }

  async #removeBatch(removals: Removal[], out: Subscriber<SyncEvent>): Promise<void> {
    const { source, target, dryRun, signal } = this.#o
    const failed = (e: Entry, err: unknown): void => {
      const error = asSyncError(err, 'remove-source', e.path)
      out.next({ type: 'failed', ts: Date.now(), path: e.path, error: error.toJSON(), stage: 'remove-source' })
    }
    /** A file still to compare with the target's: compared (a dry run too, to say what it would keep). */
    const compared = async ({ source: e, target: t }: Removal): Promise<void> => {
      if (t !== undefined) await assertSameContent(source, target, e, await heldAs(target, e, t), signal)
    }
    if (dryRun) {
      for (const r of removals) {
        await compared(r).then(
          () => out.next({ type: 'removed', ts: Date.now(), path: r.source.path, side: 'source', dryRun: true }),
          (err: unknown) => failed(r.source, err),
        )
      }
      return
    }
    if (signal.aborted) return
    if (supports.flush(target)) {
      try {
        // Those this run wrote have their data on disk: their names are flushed. Those it found there
        // (unchanged, touched, linked) may not have theirs either (copied by a tool that never
        // fsyncs, moments ago): their contents too (review of move #3).
        const written = removals.filter((r) => r.written).map((r) => r.source.path)
        const found = removals.filter((r) => !r.written).map((r) => r.source.path)
        if (written.length > 0) await target.flush(written)
        if (found.length > 0) await target.flush(found, { contents: true })
      } catch (err) {
        const why = asSyncError(err, 'flush')
        const kept = new SyncError(why.code, `kept on the source: ${why.message}`, {
          op: 'remove-source',
          hint: 'The copy on the target could not be made durable; the next run removes the source file once it can.',
        })
        for (const r of removals) failed(r.source, kept)
        return
      }
    }
    await mapConcurrent(removals, this.#o.concurrency, async (r) => {
      if (signal.aborted) return
      try {
        await compared(r)
        const removed = await removeIfUnchanged(source, target, r.source, signal, r.result)
        if (removed !== undefined) {
          out.next({
            type: 'removed',
            ts: Date.now(),
            path: r.source.path,
            side: 'source',
            ...(removed === 'renamed' ? { renamed: true as const } : {}),
          })
          if (this.#o.removeEmptyDirs) addAncestorDirs(r.source.path, this.#dirs)
        }
      } catch (err) {
        failed(r.source, err)
      }
    })
  }

  /**
   * `removeEmptyDirs`: each directory gathered, deepest first, removed if it is a directory still
   * and empty (a backend removes only an empty one). Not in a dry run, which removed no file (it
   * could not tell which would be left empty), nor once the run is stopped. Where the source keeps
   * no directories of its own (S3), none is there to remove.
   */
  async #removeDirs(out: Subscriber<SyncEvent>): Promise<void> {
    const { source, dryRun, signal } = this.#o
    if (dryRun || signal.aborted || !source.capabilities.emptyDirs) return
    const depth = (p: string): number => p.split('/').length
    const dirs = [...this.#dirs].filter((d) => d !== '').sort((a, b) => depth(b) - depth(a) || (a < b ? 1 : -1))
    this.#dirs.clear()
    for (const dir of dirs) {
      if (signal.aborted) return
      const path = dir as RelPath
      const now = await source.stat(path).catch(() => undefined)
      if (now?.kind !== 'dir') continue
      try {
        await source.remove(path)
        out.next({ type: 'removed', ts: Date.now(), path, side: 'source', dir: true })
      } catch (err) {
        // Not empty (a file kept, an excluded one, one written since): it stays, as it should.
        if (isSyncError(err) && err.code === 'CONFLICT') continue
        out.next({
          type: 'failed',
          ts: Date.now(),
          path,
          error: asSyncError(err, 'remove-source', path).toJSON(),
          stage: 'remove-source',
        })
      }
    }
  }
}

/** The target's entry to compare a source file with: `t`, or the target's file as it is now. */
async function heldAs(target: Backend, s: Entry, t: Entry | 'stat'): Promise<Entry> {
  if (t !== 'stat') return t
  const now = await target.stat(s.path)
  if (now?.kind !== 'file') {
    throw new SyncError('CONFLICT', 'the target holds no file there any more; kept on the source', {
      op: 'remove-source',
      path: s.path,
      hint: 'Run again: the file is copied, then removed.',
    })
  }
  return now
}

/** Reasons of the touches the planner gives only once it knows both files' contents are equal. */
const CONTENT_COMPARED = new Set(['content equal, mtime differs', 'empty file, mtime differs'])

/**
 * The target's file `t` holds the bytes of the source's `s`, by a hash both offer.
 * @throws SyncError `CONFLICT` when it does not, `UNSUPPORTED` when it cannot be told.
 */
async function assertSameContent(source: Backend, target: Backend, s: Entry, t: Entry, signal: AbortSignal) {
  if (s.size === 0 && t.size === 0) return
  const algo = commonHash(source, target)
  if (algo === undefined) {
    throw new SyncError(
      'UNSUPPORTED',
      `no hash both ${source.uri} and ${target.uri} offer tells whether the target's file is the same; kept on the source`,
      {
        op: 'remove-source',
        path: s.path,
        hint: 'Compare the two files yourself, then delete the source file if they are the same.',
      },
    )
  }
  const [a, b] = await Promise.all([hashOf(source, s, algo, signal), hashOf(target, t, algo, signal)])
  // (Said as it is: under --size-only the mtimes were never compared, and an object that stores no
  // hash, a multipart upload of another tool, was said to be "different" where it was not compared.)
  if (a === undefined || b === undefined) {
    throw new SyncError(
      'CONFLICT',
      `the target holds a file of the same size whose content cannot be compared (no ${algo} for ${a === undefined ? "the source's" : "the target's"}); kept on the source`,
      {
        op: 'remove-source',
        path: s.path,
        hint: "Compare the two files yourself; with --checksum (not --size-only or --ignore-existing) the source file is copied over the target's, then removed.",
      },
    )
  }
  if (a !== b) {
    throw new SyncError('CONFLICT', 'the target holds a different file of the same size; kept on the source', {
      op: 'remove-source',
      path: s.path,
      hint: "Compare the two files; with --checksum (not --size-only or --ignore-existing) the source file is copied over the target's, then removed.",
    })
  }
}

/**
 * Deletes `listed` from `source` while it is still that entry: `renamed` where the target's file is
 * that very file (a move by link), `removed` otherwise, undefined when it is gone already. Its
 * version is compared strictly (a local file's `ino:ctime`: an in-place rewrite that kept size and
 * mtime, as `exiftool -P` does, is a change: review of move #2). A file whose version moved alone
 * (the ctime of a name of several, another of which this run removed) goes once its bytes are
 * still those the target holds, by hash.
 * @throws SyncError `CONFLICT` when it changed since it was listed (kept).
 */
async function removeIfUnchanged(
  source: Backend,
  target: Backend,
  listed: Entry,
  signal: AbortSignal,
  result?: Entry,
): Promise<'removed' | 'renamed' | undefined> {
  const now = await source.stat(listed.path)
  if (now === undefined) return undefined
  // A move that linked the source's file to its new name (one file system): the source's name is
  // still that very file (the link moved its ctime), and goes, which makes the move a rename.
  if (
    result !== undefined &&
    now.kind === 'file' &&
    now.version !== undefined &&
    now.version === result.version &&
    now.size === result.size
  ) {
    await source.remove(listed.path, supports.removeExpect(source) ? { expect: now } : {})
    return 'renamed'
  }
  const changed = (): SyncError =>
    new SyncError('CONFLICT', 'changed on the source since it was copied; kept there', {
      op: 'remove-source',
      path: listed.path,
      hint: 'Run again: the new version is copied, then removed.',
    })
  if (now.kind !== listed.kind) throw changed()
  if (listed.kind === 'symlink') {
    if (now.linkTarget !== listed.linkTarget) throw changed()
  } else if (
    !matchesFingerprint(
      { size: listed.size, mtimeMs: listed.mtimeMs, ...(listed.version ? { version: listed.version } : {}) },
      now,
    )
  ) {
    if (now.size !== listed.size || now.mtimeMs !== listed.mtimeMs) throw changed()
    const held = await target.stat(listed.path)
    if (held?.kind !== 'file') throw changed()
    await assertSameContent(source, target, now, held, signal).catch(() => {
      throw changed()
    })
  }
  // (The backend re-checks what was just stated, where it can: a write in between is not removed.)
  await source.remove(listed.path, supports.removeExpect(source) && now.kind === 'file' ? { expect: now } : {})
  return 'removed'
}
