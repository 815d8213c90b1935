import { parentPort, workerData } from 'node:worker_threads'
import { asSyncError, type SyncEvent, sync } from '@syncflow/core'
import { continuousOptionsOf, loadContinuous } from '../commands/watch.js'
import { createBuiltinRegistry } from '../job/builtin-plugins.js'
import { openJob } from '../job/open-job.js'
import type { EngineCommand, EngineInput, EngineMessage } from './engine-messages.js'
import { slimEvent } from './slim-event.js'

// The engine thread of `syncflow ui`: opens the job and runs it here, so the UI thread's work
// (loading Ink and React, laying out and drawing frames) never holds up the sync. Events go to the
// UI thread in batches; pause, resume and abort come back.

/** Events are sent at least this often while they come… */
const FLUSH_MS = 50
/** …and at once when this many are waiting. */
const FLUSH_COUNT = 1000

const port = parentPort
if (!port) throw new Error('engine-worker.ts runs as a worker thread')
const { source, target, flags } = workerData as EngineInput
const post = (m: EngineMessage): void => port.postMessage(m)

const continuous = await loadContinuous()
const controller = new AbortController()
const gate = new continuous.PauseGate()
let go: () => void = () => {}
const started = new Promise<void>((resolve) => {
  go = resolve
})
port.on('message', (c: EngineCommand) => {
  if (c.type === 'start') go()
  else if (c.type === 'pause') gate.pause()
  else if (c.type === 'resume') gate.resume()
  else {
    controller.abort()
    go()
  }
})

let batch: SyncEvent[] = []
const flush = (): void => {
  if (batch.length === 0) return
  post({ type: 'events', events: batch })
  batch = []
}

try {
  const mode = flags.mode ?? 'mirror'
  const job = await openJob(
    { mode, source, target, flags, readOnly: flags.dryRun === true },
    createBuiltinRegistry(),
    controller.signal,
  )
  try {
    post({ type: 'opened', source: job.source.uri, target: job.target.uri })
    await started
    // Pausing holds back every call that starts a change (read, write, move, remove…) on either side.
    const src = continuous.backendView(job.source, { gate, signal: controller.signal })
    const dst = continuous.backendView(job.target, { gate, signal: controller.signal })
    const run$ = flags.watch
      ? continuous.continuousSync(src, dst, { ...job.options, ...continuousOptionsOf(flags) })
      : sync(src, dst, job.options)
    const timer = setInterval(flush, FLUSH_MS)
    try {
      await new Promise<void>((resolve, reject) => {
        run$.subscribe({
          next: (e) => {
            batch.push(slimEvent(e))
            if (batch.length >= FLUSH_COUNT || e.type === 'done') flush()
          },
          error: reject,
          complete: resolve,
        })
      })
    } finally {
      clearInterval(timer)
      flush()
    }
  } finally {
    await job.close()
  }
} catch (err) {
  flush()
  post({ type: 'fatal', error: asSyncError(err).toJSON() })
}
post({ type: 'closed' })
port.close()
