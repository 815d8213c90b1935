import type { Backend } from '../backend/backend.js'

/** How many actions a `transfer` runs at once (see `laneConcurrency`). */
export interface LaneConcurrency {
  readonly concurrency: number
  /** Small transfers at once, beside the others, for a target that commits writes in groups. */
  readonly smallConcurrency?: number
}

/**
 * The concurrency of one direction of transfers: the user's choice, else the larger preference of
 * the two backends (an object store wants many small requests in flight), each 8 unless it says
 * otherwise; and, for a target that commits small writes in groups, enough of them at once to fill
 * a group, as many as the source serves at once where it says (an object store: its own
 * preference). Never more than `handlesCap` (the open-files limit, `ulimit -n` of a container or a
 * service, shared out among the directions that run at once).
 */
export function laneConcurrency(
  source: Backend,
  target: Backend,
  requested: number | undefined,
  handlesCap: number,
): LaneConcurrency {
  const preferred = Math.max(
    source.capabilities.preferredConcurrency ?? 8,
    target.capabilities.preferredConcurrency ?? 8,
  )
  const concurrency = Math.max(1, Math.min(handlesCap, requested ?? preferred))
  const group = target.capabilities.groupCommit
  if (requested !== undefined || group === undefined) return { concurrency }
  return {
    concurrency,
    smallConcurrency: Math.max(1, Math.min(group, source.capabilities.preferredConcurrency ?? group, handlesCap)),
  }
}
