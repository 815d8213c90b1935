import { useLayoutEffect, useMemo, useRef } from 'react'
import type { CycleView } from './sync-view-state.js'

/** What `<Static>` is handed: the cycles not printed yet, under a key of their own. */
export interface CycleBatch {
  /** A new key mounts a new `<Static>`, which prints all of its items. */
  readonly key: number
  readonly items: readonly CycleView[]
}

/**
 * The cycles of `cycles` (the latest ones, newest last) after the one numbered `printedThrough`.
 * `<Static>` tells new items by the array's length alone, so a list trimmed to its latest entries
 * would print nothing more once full: each batch goes to a new `<Static>` (its `key`, the first
 * cycle's number), which prints it whole, and only the batch is held.
 */
export function cycleBatch(cycles: readonly CycleView[], printedThrough: number): CycleBatch {
  const items = cycles.filter((c) => c.n > printedThrough)
  return { key: items[0]?.n ?? printedThrough + 1, items }
}

/** The batch of `cycles` that `<Static>` has not printed yet (see `cycleBatch`); `cycles` is the view's array. */
export function useCycleBatch(cycles: readonly CycleView[]): CycleBatch {
  const printedThrough = useRef(0)
  // Once per new array: the view's array stays the same while no cycle ends.
  const batch = useMemo(() => cycleBatch(cycles, printedThrough.current), [cycles])
  // After the commit, Ink has written the batch (`<Static>` output is drawn at once).
  useLayoutEffect(() => {
    const last = batch.items.at(-1)
    if (last) printedThrough.current = Math.max(printedThrough.current, last.n)
  }, [batch])
  return batch
}
