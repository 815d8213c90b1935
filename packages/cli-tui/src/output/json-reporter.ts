import type { SyncEvent, SyncSummary } from '@syncflow/core'
import { quitAtOnceHint, type Reporter } from './reporter.js'
import type { Streams } from './streams.js'

/** `--json`: every SyncEvent as one JSON line on stdout, nothing else there; the last is `done`. */
export class JsonReporter implements Reporter {
  readonly #streams: Streams
  readonly #quiet: boolean

  constructor(streams: Streams, quiet: boolean) {
    this.#streams = streams
    this.#quiet = quiet
  }

  event(event: SyncEvent): void {
    this.#streams.stdout.write(`${JSON.stringify(event)}\n`)
  }

  interrupting(signal?: NodeJS.Signals): void {
    if (!this.#quiet) this.#streams.stderr.write(`syncflow: stopping… (${quitAtOnceHint(signal)})\n`)
  }

  end(_summary: SyncSummary | undefined): void {}
}
