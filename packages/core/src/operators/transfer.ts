import { concat, defer, EMPTY, from, mergeMap, type Observable, type OperatorFunction, of, tap } from 'rxjs'
import type { MaxDelete } from '../engine/sync-options.js'
import type { Action } from '../model/action.js'
import type { SyncEvent } from '../model/sync-event.js'
import { type ExecuteOptions, executeAction } from './execute-action.js'
import { guardDeletes } from './guard-deletes.js'

/** Options of `transfer`. */
export interface TransferOptions extends ExecuteOptions {
  /** Actions executed at once. [8] */
  readonly concurrency?: number
  readonly maxDelete?: MaxDelete
  readonly allowEmptySource?: boolean
  /** Run facts the delete guard needs, read once all transfers have finished. */
  readonly facts?: () => { sourceFiles: number; targetFiles: number; listingErrors: number; planFailures: number }
  /** Called once per action when it no longer occupies the pipeline (executed, skipped or held). */
  readonly onSettled?: (action: Action) => void
}

/**
 * Executes actions with a concurrency limit. Deletes are held back and run only after every
 * other action has finished, and only when the delete guard allows it (no failure, no listing
 * error, not interrupted, within --max-delete, not an empty source): a failed run never deletes.
 * Files are deleted before directories, deepest directories first.
 */
export function transfer(opts: TransferOptions): OperatorFunction<Action, SyncEvent> {
  const concurrency = opts.concurrency ?? 8
  const settled = (a: Action): void => opts.onSettled?.(a)
  return (actions$) =>
    defer(() => {
      const held: Action[] = []
      let failures = 0
      const count = tap<SyncEvent>((e) => {
        if (e.type === 'failed' && e.error.code !== 'ABORTED') failures++
      })
      const work$ = actions$.pipe(
        mergeMap((action): Observable<SyncEvent> => {
          if (action.kind === 'delete') {
            held.push(action)
            settled(action)
            return EMPTY
          }
          if (action.kind === 'skip' || action.kind === 'conflict') {
            settled(action)
            return of({ type: 'skipped', ts: Date.now(), path: action.path, reason: action.reason, action })
          }
          return executeAction(action, opts).pipe(tap({ finalize: () => settled(action) }))
        }, concurrency),
        count,
      )
      return concat(
        work$,
        defer(() => runDeletes(held, failures, opts, concurrency)),
      )
    })
}

function runDeletes(
  held: Action[],
  failures: number,
  opts: TransferOptions,
  concurrency: number,
): Observable<SyncEvent> {
  if (held.length === 0) return EMPTY
  const facts = opts.facts?.() ?? { sourceFiles: 1, targetFiles: held.length, listingErrors: 0, planFailures: 0 }
  const verdict = guardDeletes({
    deletes: held.length,
    sourceFiles: facts.sourceFiles,
    targetFiles: facts.targetFiles,
    failures: failures + facts.planFailures,
    listingErrors: facts.listingErrors,
    aborted: opts.signal?.aborted ?? false,
    ...(opts.maxDelete ? { maxDelete: opts.maxDelete } : {}),
    ...(opts.allowEmptySource ? { allowEmptySource: true } : {}),
  })
  if (!verdict.allowed) {
    return concat(
      of<SyncEvent>({ type: 'notice', ts: Date.now(), code: verdict.code, message: verdict.reason }),
      from(held).pipe(
        mergeMap((action) =>
          of<SyncEvent>({ type: 'skipped', ts: Date.now(), path: action.path, reason: verdict.reason, action }),
        ),
      ),
    )
  }
  // Listing order puts a directory before its contents, so the reverse puts contents first.
  const dirs = held.filter((a) => a.target?.kind === 'dir').reverse()
  const files = held.filter((a) => a.target?.kind !== 'dir')
  const dirDeletes$ = defer(() => {
    // A directory still holding excluded (kept) files cannot go: report it as skipped, not failed.
    return from(dirs).pipe(
      mergeMap(
        (action) =>
          executeAction(action, opts).pipe(
            mergeMap((e): Observable<SyncEvent> => {
              if (e.type === 'failed' && e.error.code === 'CONFLICT') {
                return of({
                  type: 'skipped',
                  ts: e.ts,
                  path: e.path,
                  reason: 'directory not empty (holds excluded files)',
                  action,
                })
              }
              return of(e)
            }),
          ),
        1,
      ),
    )
  })
  return concat(from(files).pipe(mergeMap((a) => executeAction(a, opts), concurrency)), dirDeletes$)
}
