import type { SerializedError, SyncEvent, SyncSummary } from '@syncflow/core'
import { dryRunCycleText } from '../output/cycle-text.js'
import type { Reporter } from '../output/reporter.js'
import type { Streams } from '../output/streams.js'

/**
 * The log of `watch -n`: the watch log (`WatchLogReporter`) but for its cycle lines, which say
 * what each cycle would do (`12:00:03 #4: would copy 2, delete 1 in 0.2s`) instead of counting
 * what a dry run only pretended to do as copied and deleted. Cycle `done`s are written here, every
 * other event goes to the watch log.
 *
 * A wrapper only because the watch log lives in reporters/, which this fix could not change; once
 * it can, this belongs in WatchLogReporter's `done` case (`dryRunCycleText` when `dryRun`).
 */
export class WatchDryRunLog implements Reporter {
  readonly #log: Reporter
  readonly #s: Streams
  readonly #quiet: boolean
  #cycles = 0

  constructor(log: Reporter, streams: Streams, options: { readonly quiet: boolean }) {
    this.#log = log
    this.#s = streams
    this.#quiet = options.quiet
  }

  event(e: SyncEvent): void {
    if (e.type !== 'done' || e.summary.mode === 'watch') {
      this.#log.event(e)
      return
    }
    this.#cycles++
    const s = e.summary
    const busy = s.failed + s.skipped + Object.values(s.planned).reduce((a, b) => a + b, 0) > 0
    // The first cycle is the initial sync: always said, so the user knows the watch is live.
    if (this.#quiet || (!busy && this.#cycles > 1)) return
    const time = new Date(e.ts).toTimeString().slice(0, 8)
    const label = this.#cycles === 1 ? 'initial sync' : `#${this.#cycles}`
    this.#s.stderr.write(`${time} ${label}: ${dryRunCycleText(s)}${s.interrupted ? ' (interrupted)' : ''}\n`)
  }

  interrupting(): void {
    this.#log.interrupting()
  }

  end(summary: SyncSummary | undefined): void {
    this.#log.end(summary)
  }

  shown(error: SerializedError): boolean {
    return this.#log.shown?.(error) ?? false
  }
}
