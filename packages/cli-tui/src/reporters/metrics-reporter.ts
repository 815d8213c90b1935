import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SyncError, type SyncEvent } from '@syncflow/core'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { summaryFailed } from './webhook-reporter.js'

/**
 * `--metrics HOST:PORT`: Prometheus metrics of the run on `http://HOST:PORT/metrics`, from the one
 * event stream. Counters add up over all cycles of a watch; gauges show the current state.
 */
export class MetricsReporter {
  readonly registry = new Registry()
  readonly #actions = new Counter({
    name: 'syncflow_actions_total',
    help: 'Actions by kind and outcome (completed, failed, skipped).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly #bytes = new Counter({
    name: 'syncflow_transferred_bytes_total',
    help: 'Bytes written to the target.',
    registers: [this.registry],
  })
  readonly #errors = new Counter({
    name: 'syncflow_errors_total',
    help: 'Failures by error code and stage.',
    labelNames: ['code', 'stage'] as const,
    registers: [this.registry],
  })
  readonly #notices = new Counter({
    name: 'syncflow_notices_total',
    help: 'Notices (fallbacks, suppressed deletes) by code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  })
  readonly #runs = new Counter({
    name: 'syncflow_runs_total',
    help: 'Finished runs (each cycle of a watch is one) by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  })
  readonly #duration = new Histogram({
    name: 'syncflow_run_duration_seconds',
    help: 'Duration of finished runs (cycles).',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
    registers: [this.registry],
  })
  readonly #lastRun = new Gauge({
    name: 'syncflow_last_run_timestamp_seconds',
    help: 'When the last run (cycle) finished, Unix time.',
    registers: [this.registry],
  })
  readonly #lastSuccess = new Gauge({
    name: 'syncflow_last_success_timestamp_seconds',
    help: 'When the last successful run (cycle) finished, Unix time.',
    registers: [this.registry],
  })
  readonly #inFlight = new Gauge({
    name: 'syncflow_in_flight',
    help: 'Actions executing now.',
    registers: [this.registry],
  })
  readonly #queued = new Gauge({
    name: 'syncflow_queued',
    help: 'Actions planned and not started yet.',
    registers: [this.registry],
  })
  readonly #rate = new Gauge({
    name: 'syncflow_throughput_bytes_per_second',
    help: 'Current transfer rate (sliding window).',
    registers: [this.registry],
  })
  #server: Server | undefined

  constructor(opts: { readonly processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'syncflow_' })
  }

  /** Feeds one event of the run. */
  event(e: SyncEvent): void {
    switch (e.type) {
      case 'started':
        this.#inFlight.inc()
        this.#queued.dec()
        break
      case 'planned':
        if (e.action.kind !== 'skip' && e.action.kind !== 'conflict') this.#queued.inc()
        break
      case 'completed':
        this.#inFlight.dec()
        this.#actions.inc({ kind: e.action.kind, outcome: 'completed' })
        this.#bytes.inc(e.bytes)
        break
      case 'skipped':
        this.#actions.inc({ kind: e.action?.kind ?? 'skip', outcome: 'skipped' })
        if (e.action && e.action.kind !== 'skip' && e.action.kind !== 'conflict') this.#queued.dec()
        break
      case 'failed':
        if (e.action) {
          this.#inFlight.dec()
          this.#actions.inc({ kind: e.action.kind, outcome: 'failed' })
        }
        if (e.error.code !== 'ABORTED') this.#errors.inc({ code: e.error.code, stage: e.stage })
        break
      case 'notice':
        this.#notices.inc({ code: e.code })
        break
      case 'stats':
        this.#rate.set(e.bytesPerSec)
        this.#inFlight.set(e.inFlight)
        this.#queued.set(e.queued)
        break
      case 'done': {
        // The watch job's own last `done` sums the cycles already counted.
        if (e.summary.mode === 'watch') break
        const now = e.ts / 1000
        const ok = !summaryFailed(e.summary)
        this.#runs.inc({ result: ok ? 'success' : 'failure' })
        this.#duration.observe(e.summary.durationMs / 1000)
        this.#lastRun.set(now)
        if (ok) this.#lastSuccess.set(now)
        this.#inFlight.set(0)
        this.#queued.set(0)
        this.#rate.set(0)
        break
      }
      default:
    }
  }

  /**
   * Serves `/metrics` on host:port; resolves with the address actually bound (port 0 = any free).
   * @throws SyncError `USAGE` when the address cannot be used (in use, not local).
   */
  async listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('see /metrics\n')
        return
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      )
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new SyncError('USAGE', `--metrics cannot listen on ${host}:${port}: ${err.code ?? err.message}`, {
            cause: err,
            hint:
              err.code === 'EADDRINUSE'
                ? 'Another process uses that port: pick another one.'
                : 'Use an address of this machine, e.g. 127.0.0.1:9464.',
          }),
        ),
      )
      server.listen(port, host, () => resolve())
    })
    server.unref()
    this.#server = server
    return server.address() as AddressInfo
  }

  /** Stops serving. */
  async close(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
