import type { SyncSummary } from '@syncflow/core'
import { InvalidArgumentError, Option } from 'commander'
import type { ExitCode } from '../errors/exit-codes.js'
import { drainEvents } from '../job/drain-events.js'
import type { JobFlags } from '../options/job-flags.js'
import type { Streams } from '../output/streams.js'
import { type ListenAddress, parseListenAddress } from '../reporters/parse-listen-address.js'
import { continuousOptionsOf, loadContinuous } from './load-continuous.js'
import { onHangup } from './on-hangup.js'

// Flags and parsers here are cheap (cli.ts declares them up front); everything else this command
// needs is imported when it runs.

/** Flags of `watch` (and of `ui --watch`) beyond those of `sync`. */
export interface WatchFlags extends JobFlags {
  /** `mirror` (default) or `copy` (never deletes). */
  readonly mode?: 'mirror' | 'copy'
  /** Two-way: each side's changes carried to the other (`bisync` passes). */
  readonly bisync?: boolean
  /** ms a path must be quiet before it is looked at. */
  readonly debounce?: number
  /** ms between full rescans; 0 = never. */
  readonly rescan?: number
  /** ms between two listings of a source without change events (s3://); default: grows with the listing. */
  readonly pollInterval?: number
  readonly webhook?: string
  readonly metrics?: ListenAddress
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/

/** `--debounce MS`: 0 to 60000 ms (a bare number is ms; `250ms`, `1s` also work). */
export function parseDebounce(value: string): number {
  const m = DURATION.exec(value.trim())
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1) : Number.NaN
  if (!Number.isFinite(ms) || ms > 60_000) {
    throw new Error(`"${value}" is not a debounce; write milliseconds from 0 to 60000, e.g. --debounce 250`)
  }
  return Math.round(ms)
}

/** `--rescan INTERVAL`: `30m`, `1h`, `90s`, a bare number of seconds; `0` = never. */
export function parseRescan(value: string): number {
  const m = DURATION.exec(value.trim())
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000) : Number.NaN
  if (!Number.isFinite(ms) || (ms > 0 && ms < 1000)) {
    throw new Error(`"${value}" is not a rescan interval; write e.g. 30m, 1h, 90s (at least 1s), or 0 for never`)
  }
  return Math.round(ms)
}

/** `--poll-interval INTERVAL`: `30s`, `5m`, a bare number of seconds (`2.5` too); 1 s to 24 h. */
export function parsePollInterval(value: string): number {
  const m = DURATION.exec(value.trim())
  const ms = m ? Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000) : Number.NaN
  // Below 1 s a listing of anything but a tiny tree runs back to back (and S3 bills each one).
  if (!Number.isFinite(ms) || ms < 1000 || ms > 86_400_000) {
    throw new Error(`"${value}" is not a poll interval; write e.g. 30s, 5m, 10 (seconds), from 1s to 24h`)
  }
  return Math.round(ms)
}

/** `--webhook URL`: an http(s) URL (a healthchecks.io ping URL, or any endpoint taking the same pings). */
export function parseWebhook(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Error(`"${value}" is not a URL; write e.g. https://hc-ping.com/<uuid>`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`"${value}" is not an http(s) URL; write e.g. https://hc-ping.com/<uuid>`)
  }
  return url.toString()
}

const arg =
  <T>(parse: (v: string) => T) =>
  (v: string): T => {
    try {
      return parse(v)
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err))
    }
  }

/** The flags `watch` adds to those of `sync` (`ui` takes them too, with `--watch`). */
export const WATCH_OPTIONS: readonly (() => Option)[] = [
  () =>
    new Option('--mode <MODE>', 'mirror: DST ends equal to SRC (default); copy: never delete').choices([
      'mirror',
      'copy',
    ]),
  () =>
    new Option(
      '--bisync',
      "two-way: carry each side's changes to the other, as 'syncflow bisync' does, each time either side changes",
    ),
  () =>
    new Option('--debounce <MS>', 'look at a changed path once it was quiet this long (default: 100)').argParser(
      arg(parseDebounce),
    ),
  () =>
    new Option('--rescan <INTERVAL>', 'full rescan this often, e.g. 30m, 1h; 0 = never (default: 1h)').argParser(
      arg(parseRescan),
    ),
  () =>
    new Option(
      '--poll-interval <SEC>',
      'list a source without change events (s3://) this often, e.g. 30s, 5m (default: 2s, longer for a larger listing)',
    ).argParser(arg(parsePollInterval)),
  () =>
    new Option('--webhook <URL>', 'ping URL/start, URL (success) or URL/fail with a JSON summary per cycle').argParser(
      arg(parseWebhook),
    ),
  () =>
    new Option('--metrics <HOST:PORT>', 'serve Prometheus metrics on http://HOST:PORT/metrics').argParser(
      arg(parseListenAddress),
    ),
]

/** `syncflow watch SRC DST`: continuous one-way sync until SIGINT/SIGTERM (exit 130, state saved). */
export async function watchCommand(
  source: string,
  target: string,
  flags: WatchFlags,
  streams: Streams,
): Promise<ExitCode> {
  const [
    core,
    continuous,
    { openJob },
    { createBuiltinRegistry },
    { onInterrupt },
    { exitCodeForSummary },
    errors,
    exits,
  ] = await Promise.all([
    import('@syncflow/core'),
    loadContinuous(),
    import('../job/open-job.js'),
    import('../job/builtin-plugins.js'),
    import('../job/on-interrupt.js'),
    import('../job/exit-code-for-summary.js'),
    import('../errors/format-error.js'),
    import('../errors/exit-codes.js'),
  ])
  const [
    { JsonReporter },
    { WatchLogReporter },
    { openReporters },
    { fatalDoneEvent },
    { finishLocalTargetMtime },
    { madeRootAction, plannedRootAction },
    { withRootActionFirstCycle },
    bisyncSides,
  ] = await Promise.all([
    import('../output/json-reporter.js'),
    import('../reporters/watch-log-reporter.js'),
    import('../reporters/open-reporters.js'),
    import('../job/fatal-done-event.js'),
    import('../job/finish-local-target.js'),
    import('../job/root-mode-action.js'),
    import('../job/with-root-action-first-cycle.js'),
    import('../job/bisync-of.js'),
  ])
  const dryRun = flags.dryRun === true
  const mode = flags.mode ?? 'mirror'
  const twoWay = flags.bisync === true
  const quiet = flags.quiet === true
  const log = flags.json ? undefined : new WatchLogReporter(streams, { dryRun, quiet, verbose: flags.verbose === true })
  // A dry run's cycle lines say what would be done (as `sync -n` does), not "copied".
  const reporter = log ?? new JsonReporter(streams, quiet)
  const controller = new AbortController()
  const stop = (signal?: NodeJS.Signals): void => {
    reporter.interrupting(signal)
    controller.abort()
  }
  const removeHandlers = onInterrupt(stop)
  const hangup = onHangup(stop)
  let reporters: import('../reporters/open-reporters.js').OpenedReporters | undefined
  /** The job's end, said: its summary, or its fatal error. */
  const ended = (summary: SyncSummary): ExitCode => {
    reporter.end(summary.fatal ? undefined : summary)
    if (summary.fatal) {
      const { code, message, hint } = summary.fatal
      streams.stderr.write(
        errors.formatError(new core.SyncError(code, message, hint ? { hint } : {}), flags.verbose === true),
      )
    }
    return exitCodeForSummary(summary, 'sync')
  }
  try {
    reporters = await openReporters(
      {
        ...(flags.webhook ? { webhook: flags.webhook } : {}),
        ...(flags.metrics ? { metrics: flags.metrics } : {}),
        vanishedRetried: true,
      },
      { command: 'watch', source, target },
      (warning) => void streams.stderr.write(`syncflow: ${warning}\n`),
    )
    if (reporters.metricsUrl) streams.stderr.write(`syncflow: metrics on ${reporters.metricsUrl}\n`)
    const sinks = reporters
    let summary: SyncSummary
    if (twoWay) await bisyncSides.assertBisyncSides(target, flags.state)
    const job = await openJob(
      twoWay
        ? bisyncSides.twoWayJobSpec({ mode, source, target, flags })
        : { mode, source, target, flags, readOnly: dryRun },
      createBuiltinRegistry(),
      controller.signal,
    )
    try {
      log?.started(job.source.uri, job.target.uri, twoWay)
      // A watch stopped (Ctrl-Z, `kill -STOP`) and resumed (`fg`, SIGCONT) may have lost change
      // events meanwhile: the kernel queues a bounded number (inotify's max_queued_events, 16384)
      // and drops the rest, which Node does not report. A full sync then finds what they said
      // (review of watch: they waited for the next --rescan, unsaid).
      const { fromEvent } = await import('rxjs')
      const rescanRequests = fromEvent(process, 'SIGCONT')
      if (twoWay) {
        // Two-way: each pass a whole bisync run, which leaves both roots as they are.
        const passes$ = continuous.continuousBisync(job.source, job.target, {
          ...bisyncSides.bisyncOptionsOf(job.options, flags),
          ...continuousOptionsOf(flags),
          // A changed .syncflowignore applies from the next pass, as in a one-way watch (QA 10 #5).
          reloadFilter: job.reloadFilter,
          rescanRequests,
        })
        summary = await drainEvents(passes$, (e) => {
          reporter.event(e)
          sinks.event(e)
        })
      } else {
        const cycles$ = continuous.continuousSync(job.source, job.target, {
          ...job.options,
          ...continuousOptionsOf(flags),
          // A changed .syncflowignore applies at once (QA 10 #5: the rules read at the start stayed).
          reloadFilter: job.reloadFilter,
          checkRoots: job.checkRoots,
          rescanRequests,
        })
        // What a real watch does to a local target's root (makes it; gives it the source root's mtime
        // after each cycle, not its mode), said by a dry run as `sync -n` says it (QA 35 #1).
        // A real watch says the root it made before it started, as `sync` does (QA 35).
        const rootAct = dryRun ? await plannedRootAction(job, source, target, false) : madeRootAction(job)
        const events$ = withRootActionFirstCycle(cycles$, rootAct, dryRun ? 'dry-run' : 'done')
        // Each cycle that ran gives the target root the source root's mtime, as the end of a sync
        // does (QA 30e: check, which compares the roots' mtimes, said `touch .` after any watch).
        let rootTime = Promise.resolve()
        summary = await drainEvents(events$, (e) => {
          reporter.event(e)
          sinks.event(e)
          if (!dryRun && e.type === 'done' && e.cycle !== undefined && !e.summary.fatal && !e.summary.interrupted) {
            rootTime = rootTime.then(() => finishLocalTargetMtime(source, target))
          }
        })
        await rootTime
      }
    } finally {
      // (A target's close that fails is said by a one-shot run only, not yet here.)
      await job.close().catch(() => {})
    }
    return ended(summary)
  } catch (err) {
    const error = core.asSyncError(err)
    // A job that could not start still ends with a `done` (NDJSON) and a /fail ping (webhook).
    // The mode its last `done` names when it ran (QA 23 #8: this one said `mirror`, that one `watch`).
    const done = fatalDoneEvent(error, continuous.CONTINUOUS_MODE, dryRun)
    if (flags.json) reporter.event(done)
    // A --metrics address that could not be used failed openReporters before the webhook was
    // opened: the monitor heard nothing, not the /fail a job that cannot start sends (QA 30f).
    if (reporters === undefined && flags.webhook) {
      reporters = await openReporters(
        { webhook: flags.webhook },
        { command: 'watch', source, target },
        (warning) => void streams.stderr.write(`syncflow: ${warning}\n`),
      ).catch(() => undefined)
    }
    reporters?.event(done)
    reporter.end(undefined)
    streams.stderr.write(errors.formatError(err, flags.verbose === true))
    return exits.exitCodeForError(error)
  } finally {
    await reporters?.close()
    removeHandlers()
    hangup.finish()
  }
}
