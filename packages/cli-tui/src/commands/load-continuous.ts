import type { WatchFlags } from './watch.js'

// Kept apart from watch.ts (which builds commander options): the engine thread of `ui --watch`
// needs these two and nothing of commander.

/** The continuous engine of `@syncflow/core` (its `continuous/` module). */
export type ContinuousModule = typeof import('../../../core/dist/continuous/index.js')

/**
 * Loads the continuous engine. Until `@syncflow/core`'s entry exports `continuous/`, it is taken
 * from core's build by path; in the workspace that resolves to the very modules `@syncflow/core`
 * uses (one SyncError class, one engine). When the entry exports it: `return import('@syncflow/core')`.
 */
export function loadContinuous(): Promise<ContinuousModule> {
  return import('../../../core/dist/continuous/index.js')
}

/** The continuous options the flags ask for. */
export function continuousOptionsOf(
  flags: WatchFlags,
): Partial<Pick<import('../../../core/dist/continuous/index.js').ContinuousOptions, 'debounceMs' | 'rescanMs'>> {
  return {
    ...(flags.debounce !== undefined ? { debounceMs: flags.debounce } : {}),
    ...(flags.rescan !== undefined ? { rescanMs: flags.rescan } : {}),
  }
}
