import { useEffect, useState } from 'react'
import type { Subscribable } from 'rxjs'

/** What can be paused: the core `PauseGate` (structurally, so the UI needs nothing else of it). */
export interface Pausable {
  readonly paused: boolean
  readonly paused$: Subscribable<boolean>
  toggle(): boolean
}

/** Whether the run is paused (follows the gate; subscribes in an effect, unsubscribes on cleanup). */
export function usePaused(gate: Pausable | undefined): boolean {
  const [paused, setPaused] = useState(gate?.paused ?? false)
  useEffect(() => {
    if (!gate) return
    const sub = gate.paused$.subscribe({ next: setPaused })
    return () => sub.unsubscribe()
  }, [gate])
  return paused
}
