import type { SyncEvent } from '@syncflow/core'
import { useEffect, useState } from 'react'
import type { Observable } from 'rxjs'
import { ThroughputSampler, type ThroughputView } from './throughput-sampler.js'

const EMPTY: ThroughputView = { bytesPerSec: 0, filesPerSec: 0, history: [] }

/**
 * Live rate, ETA and a minute of history (for the sparkline) of a run, sampled every `sampleMs`
 * with the core `ThroughputMeter`. Subscribes in an effect; the cleanup unsubscribes and stops the timer.
 */
export function useThroughput(events$: Observable<SyncEvent>, sampleMs = 1000, points = 60): ThroughputView {
  const [view, setView] = useState<ThroughputView>(EMPTY)
  useEffect(() => {
    const sampler = new ThroughputSampler(performance.now(), points)
    const sub = events$.subscribe({ next: (e) => sampler.add(e) })
    const timer = setInterval(() => setView(sampler.sample(performance.now())), sampleMs)
    return () => {
      clearInterval(timer)
      sub.unsubscribe()
    }
  }, [events$, sampleMs, points])
  return view
}
