import { useEffect, useState } from 'react'
import type { Subscribable } from 'rxjs'

/** What can be paused: the core `PauseGate` (structurally, so the UI needs nothing else of it). */
export interface Pausable {
  readonly paused: boolean
  readonly paused$: Subscribable<boolean>
  toggle(): boolean
}

/** Whether the run is paused, and since when. */
export interface PauseState {
  readonly paused: boolean
  /** When it was paused (`Date.now()`, the clock of the events' `ts`); set while paused. */
  readonly since?: number
}

/**
 * Whether the run is paused and since when (follows the gate; subscribes in an effect,
 * unsubscribes on cleanup). The time is taken when the gate says so, not when React renders:
 * transfers the engine starts after it are held by the pause.
 */
export function usePaused(gate: Pausable | undefined): PauseState {
  const [state, setState] = useState<PauseState>(() =>
    gate?.paused ? { paused: true, since: Date.now() } : { paused: false },
  )
  useEffect(() => {
    if (!gate) return
    const sub = gate.paused$.subscribe({
      next: (paused) => {
        const now = Date.now()
        setState((prev) => (prev.paused === paused ? prev : paused ? { paused, since: now } : { paused }))
      },
    })
    return () => sub.unsubscribe()
  }, [gate])
  return state
}
