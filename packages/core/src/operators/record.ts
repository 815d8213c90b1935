import { type MonoTypeOperatorFunction, Observable } from 'rxjs'
import { asSyncError } from '../errors/sync-error.js'
import type { RelPath } from '../model/rel-path.js'
import type { SyncEvent } from '../model/sync-event.js'
import type { StateRecord, StateStore } from '../state/state-store.js'
import { fingerprintOf } from './decide.js'

/** Options of `record`. */
export interface RecordOptions {
  /** Records per `setMany` batch. [500] */
  readonly batchSize?: number
  /**
   * The longest a record waits for its batch to fill, in ms: a run of big files (an upload of
   * 500 videos to S3 takes hours) saved nothing before its 500th, so a crash lost hours of records
   * and the next run compared, or hashed, every file again (review of the state store). [10 s]
   */
  readonly maxDelayMs?: number
}

/**
 * Writes the outcome of completed actions into the state store, in batches (one transaction
 * each): transfers, touches and moves record both sides' fingerprints; deletes remove the record. The
 * stream completes only after the last batch is flushed, so a `done` event means state is saved.
 * A crash loses at most the unflushed batch (under 500 records, none older than 10 s), which the next
 * run re-verifies. Dry runs record nothing.
 */
export function record(state: StateStore | undefined, opts: RecordOptions = {}): MonoTypeOperatorFunction<SyncEvent> {
  const batchSize = opts.batchSize ?? 500
  const maxDelayMs = opts.maxDelayMs ?? 10_000
  return (events$) =>
    !state
      ? events$
      : new Observable<SyncEvent>((subscriber) => {
          let sets: [RelPath, StateRecord][] = []
          let deletes: RelPath[] = []
          let chain: Promise<void> = Promise.resolve()
          // A store that fails once (not loadable, disk full, server gone) fails every batch after:
          // the first failure is reported (the run then exits 1: its state is not saved), not each.
          let failed = false
          /** Flushes a batch that has waited `maxDelayMs` (armed by its first record). */
          let timer: ReturnType<typeof setTimeout> | undefined
          const flush = (): Promise<void> => {
            if (timer !== undefined) clearTimeout(timer)
            timer = undefined
            const s = sets
            const d = deletes
            sets = []
            deletes = []
            if (s.length === 0 && d.length === 0) return chain
            chain = chain
              .then(async () => {
                if (s.length > 0) await state.setMany(s)
                if (d.length > 0) await state.deleteMany(d)
              })
              .catch((err: unknown) => {
                if (failed) return
                failed = true
                const error = asSyncError(err, 'state.write')
                subscriber.next({ type: 'failed', ts: Date.now(), path: '', error: error.toJSON(), stage: 'record' })
              })
            return chain
          }
          const sub = events$.subscribe({
            next(e) {
              if (e.type === 'completed' && !e.dryRun) {
                const a = e.action
                if (a.kind === 'delete') deletes.push(a.path)
                else if (a.source && e.result && a.source.kind === 'file') {
                  sets.push([
                    a.path,
                    { source: fingerprintOf(a.source), target: fingerprintOf(e.result), syncedAt: e.ts },
                  ])
                } else if (a.kind === 'move') {
                  // Moved, but not known to match the source (an mtime the target could not take):
                  // no record, so the next run compares the two files instead of trusting an older one.
                  deletes.push(a.path)
                }
                // (The old path's record goes with its file: nothing is there now.)
                if (a.kind === 'move' && a.from !== undefined) deletes.push(a.from)
                const pending = sets.length + deletes.length
                if (pending >= batchSize) void flush()
                else if (pending > 0 && timer === undefined) {
                  timer = setTimeout(() => void flush(), maxDelayMs)
                  // (Never what keeps the process alive: the stream's end flushes what is left.)
                  timer.unref?.()
                }
              }
              subscriber.next(e)
            },
            error(err) {
              void flush().then(() => subscriber.error(err))
            },
            complete() {
              void flush().then(() => subscriber.complete())
            },
          })
          return () => {
            if (timer !== undefined) clearTimeout(timer)
            sub.unsubscribe()
          }
        })
}
