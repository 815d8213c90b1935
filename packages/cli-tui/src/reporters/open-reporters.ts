import type { SyncEvent } from '@syncflow/core'
import type { ListenAddress } from './parse-listen-address.js'
import type { WebhookJobInfo } from './webhook-reporter.js'

/** The reporter flags (`--webhook URL`, `--metrics HOST:PORT`). */
export interface ReporterFlags {
  readonly webhook?: string
  readonly metrics?: ListenAddress
  /** The webhook pings `/fail` for an interrupted run (a one-shot run's; a watch ends so). */
  readonly interruptedFails?: boolean
  /** The webhook pings `/fail` for a run whose deletes were held back (a one-shot run's exit 1). */
  readonly heldDeletesFail?: boolean
  /** A watch: a copy whose source vanished is tried again, no failure of its cycle for the webhook (see `isVanishedCopy`). */
  readonly vanishedRetried?: boolean
}

/** The reporters a command asked for, fed from the one event stream. */
export interface OpenedReporters {
  /** Feeds one event to every reporter (never blocks). */
  event(e: SyncEvent): void
  /** Where metrics are served, when they are. */
  readonly metricsUrl?: string
  /** Sends what is queued and stops serving. */
  close(): Promise<void>
}

/**
 * Opens the reporters of `flags` (prom-client is loaded only with --metrics) and sends the
 * webhook's `start` ping. A metrics address that cannot be used throws `USAGE` before the run.
 */
export async function openReporters(
  flags: ReporterFlags,
  job: WebhookJobInfo,
  onWarning: (message: string) => void,
): Promise<OpenedReporters> {
  const sinks: { event(e: SyncEvent): void; close(): Promise<void> }[] = []
  let metricsUrl: string | undefined
  if (flags.metrics) {
    const { MetricsReporter } = await import('./metrics-reporter.js')
    const metrics = new MetricsReporter()
    const at = await metrics.listen(flags.metrics.host, flags.metrics.port)
    const host = at.family === 'IPv6' ? `[${at.address}]` : at.address
    metricsUrl = `http://${host}:${at.port}/metrics`
    sinks.push(metrics)
  }
  if (flags.webhook) {
    const { WebhookReporter } = await import('./webhook-reporter.js')
    const webhook = new WebhookReporter(flags.webhook, {
      onWarning,
      interruptedFails: flags.interruptedFails === true,
      heldDeletesFail: flags.heldDeletesFail === true,
      vanishedRetried: flags.vanishedRetried === true,
    })
    webhook.start(job)
    sinks.push(webhook)
  }
  return {
    event: (e) => {
      for (const s of sinks) s.event(e)
    },
    ...(metricsUrl ? { metricsUrl } : {}),
    close: async () => {
      await Promise.all(sinks.map((s) => s.close()))
    },
  }
}
