import { EMPTY, type Observable } from 'rxjs'
import type { Backend } from '../backend/backend.js'
import type { SyncEvent } from '../model/sync-event.js'
import type { SyncOptions } from './sync-options.js'

/**
 * One-way sync of `source` into `target`: list both → diff → guards → transfer → record.
 * Emits SyncEvents; the last one is always `done` (fatal problems are reported in `done.summary.fatal`,
 * never as an Observable error). Unsubscribing aborts like `options.signal`.
 */
export function sync(_source: Backend, _target: Backend, _options: SyncOptions): Observable<SyncEvent> {
  return EMPTY // placeholder: the engine lands shortly
}

/** Compares only: emits `planned` events for every difference and a `done` summary; writes nothing. */
export function check(source: Backend, target: Backend, options: Omit<SyncOptions, 'dryRun'>): Observable<SyncEvent> {
  return sync(source, target, { ...options, dryRun: true })
}
