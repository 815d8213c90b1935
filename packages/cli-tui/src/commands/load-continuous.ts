import type { WatchFlags } from './watch.js'

// Kept apart from watch.ts (which builds commander options): the engine thread of `ui --watch`
// needs these two and nothing of commander.

/** The continuous engine of `@syncflow/core` (its `continuous/` module). */
export type ContinuousModule = typeof import('@syncflow/core/continuous')

/**
 * Loads the continuous engine: `@syncflow/core/continuous`, a subpath of core kept out of its main
 * entry so that one-shot commands do not load it. It imports the same modules as `@syncflow/core`
 * (one SyncError class, one engine).
 */
export function loadContinuous(): Promise<ContinuousModule> {
  return import('@syncflow/core/continuous')
}

/** The continuous options the flags ask for. */
export function continuousOptionsOf(
  flags: WatchFlags,
): Partial<Pick<import('@syncflow/core/continuous').ContinuousOptions, 'debounceMs' | 'rescanMs' | 'pollMs'>> {
  return {
    ...(flags.debounce !== undefined ? { debounceMs: flags.debounce } : {}),
    ...(flags.rescan !== undefined ? { rescanMs: flags.rescan } : {}),
    ...(flags.pollInterval !== undefined ? { pollMs: flags.pollInterval } : {}),
  }
}
