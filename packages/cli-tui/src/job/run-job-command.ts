import {
  asSyncError,
  check,
  type StatsEvent,
  type SyncError,
  type SyncEvent,
  type SyncSummary,
  sync,
} from '@syncflow/core'
import { onHangup } from '../commands/on-hangup.js'
import { type ExitCode, exitCodeForError } from '../errors/exit-codes.js'
import { formatError } from '../errors/format-error.js'
import { reviveError } from '../errors/revive-error.js'
import { differenceCount, doneCount } from '../output/format-summary.js'
import { HumanReporter } from '../output/human-reporter.js'
import { JsonReporter } from '../output/json-reporter.js'
import type { Reporter } from '../output/reporter.js'
import type { Streams } from '../output/streams.js'
import { type OpenedReporters, openReporters } from '../reporters/open-reporters.js'
import { assertBisyncSides, bisyncOf, TWO_WAY_SIDE_NAMES, twoWayJobSpec } from './bisync-of.js'
import { createBuiltinRegistry } from './builtin-plugins.js'
import { drainEvents } from './drain-events.js'
import { exitCodeForSummary } from './exit-code-for-summary.js'
import { fatalDoneEvent } from './fatal-done-event.js'
import { finishLocalTarget } from './finish-local-target.js'
import { markedRoot } from './marked-root.js'
import { onInterrupt } from './on-interrupt.js'
import { type JobSpec, openJob } from './open-job.js'
import {
  localRoots,
  madeRootAction,
  modifyWindowOf,
  plannedRootAction,
  rootAction,
  rootActionEvents,
  statsWithRoot,
  withRootAction,
  withRootCounted,
} from './root-mode-action.js'

/** A sync-like command: `sync`/`copy`/`restore` run the engine, `check` only compares, `bisync` runs both ways. */
export interface JobCommand extends Omit<JobSpec, 'readOnly' | 'kind'> {
  readonly kind: 'sync' | 'check' | 'bisync'
}

/**
 * Runs one job from flags to exit code: opens it, renders its events (NDJSON with --json, else
 * progress and summary), turns the first SIGINT/SIGTERM into an orderly stop, and closes it.
 * SIGHUP (the terminal or ssh session closed under a running sync) stops it in the same order (no
 * temp file or open multipart upload left, state saved: QA 12 #5), then ends the process by the
 * hangup, as `watch` does (rsync also cleans up on SIGHUP).
 */
export async function runJobCommand(cmd: JobCommand, streams: Streams): Promise<ExitCode> {
  const { flags } = cmd
  const dryRun = cmd.kind === 'check' || flags.dryRun === true
  const reporter: Reporter = flags.json
    ? new JsonReporter(streams, flags.quiet === true)
    : new HumanReporter(streams, {
        kind: cmd.kind === 'check' ? 'check' : 'sync',
        dryRun,
        quiet: flags.quiet === true,
        verbose: flags.verbose === true,
        ...(cmd.kind === 'bisync' ? { sideNames: TWO_WAY_SIDE_NAMES } : {}),
      })
  const controller = new AbortController()
  const stop = (signal?: NodeJS.Signals): void => {
    reporter.interrupting(signal)
    controller.abort()
  }
  const removeHandlers = onInterrupt(stop)
  const hangup = onHangup(stop)
  /** `--webhook URL`: the run's /start, then its success or /fail (`openReporters`). */
  const webhook = (flags as { readonly webhook?: string }).webhook
  let hooks: OpenedReporters | undefined
  if (webhook !== undefined) {
    hooks = await openReporters(
      // (Interrupted, a one-shot run did not do its job: /fail, where a watch's SIGINT is its end;
      // with deletes held back it exits 1, and so pings /fail.)
      { webhook, interruptedFails: true, heldDeletesFail: true },
      { command: commandName(cmd), source: cmd.source, target: cmd.target },
      (warning) => void streams.stderr.write(`syncflow: ${warning}\n`),
    )
  }
  try {
    // The roots as the run finds them (before openJob makes a read-only target root writable for
    // it): what finishLocalTarget then changes is said as the root's action, as check says it.
    // A root holding an --exclude-if-present marker excludes everything: its mode and mtime too.
    const rootExcluded = markedRoot([cmd.source, cmd.target], flags.excludeIfPresent)
    const realRun = cmd.kind === 'sync' && !dryRun && !rootExcluded
    const rootsBefore = realRun ? await localRoots(cmd.source, cmd.target) : undefined
    if (cmd.kind === 'bisync') await assertBisyncSides(cmd.target, flags.state)
    const job = await openJob(
      cmd.kind === 'bisync'
        ? twoWayJobSpec(cmd)
        : { ...cmd, kind: cmd.kind === 'check' ? 'check' : 'sync', readOnly: dryRun },
      createBuiltinRegistry(),
      controller.signal,
    )
    for (const notice of job.notices ?? []) reporter.event(notice)
    const modes = job.target.capabilities.permissions
    const windowMs = modifyWindowOf(job)
    let summary: SyncSummary
    /** The engine's `done`, held while the root's mode and mtime are set (they are said before it). */
    let done: SyncEvent | undefined
    /** The engine's last `stats`: said again after the root's action, counting it, as `done` does. */
    let lastStats: StatsEvent | undefined
    /** The source was empty and the target's files kept (EMPTY_SOURCE): its root is not touched either. */
    let emptySource = false
    /** The target's close() failed. */
    let closeError: SyncError | undefined
    try {
      const engine =
        cmd.kind === 'check'
          ? check(job.source, job.target, job.options)
          : cmd.kind === 'bisync'
            ? bisyncOf(job.source, job.target, job.options, flags)
            : sync(job.source, job.target, job.options)
      // What finishLocalTarget does after a real run, said by a check and a dry run too.
      // (Not on a target that keeps no modes, a FAT disk: its chmod changes nothing, review 24 #5.)
      // So is the target root a real run would make (QA 26h: check said "In sync" without it).
      // And the root's mtime, when its mode agrees (QA 30e: check said "In sync" where sync set it).
      const rootAct =
        dryRun && cmd.kind !== 'bisync' && !rootExcluded
          ? await plannedRootAction(job, cmd.source, cmd.target, modes)
          : undefined
      // A real run says the root it made, as its dry run did (`mkdir .`), and counts it.
      const made = realRun ? madeRootAction(job) : undefined
      const events = rootAct
        ? withRootAction(engine, rootAct, cmd.kind === 'sync' ? 'dry-run' : 'planned')
        : made
          ? withRootAction(engine, made, 'done')
          : engine
      summary = await drainEvents(events, (e) => {
        // Held until the target is closed: a close that fails makes the run's summary fatal.
        if (e.type === 'done') done = e
        else reporter.event(e)
        if (e.type === 'stats') lastStats = e
        if (e.type === 'notice' && e.code === 'EMPTY_SOURCE') emptySource = true
      }).catch((err: unknown) => {
        throw asSyncError(err, 'engine')
      })
    } finally {
      // A target that keeps its writes only once closed (a plugin that commits there) and fails to:
      // said, and the run not taken as done (it said "Done" and exit 0: review of the plugin API).
      closeError = await job.close().then(
        () => undefined,
        (err: unknown) => asSyncError(err, 'close'),
      )
    }
    if (closeError !== undefined && !summary.fatal) {
      summary = { ...summary, fatal: closeError.toJSON() }
      if (done?.type === 'done') done = { ...done, summary }
    }
    // The root's own mode and mtime, last: every write into it changed its mtime. Not from a source
    // found empty (an unmounted disk's mount point), whose deletes were refused: the target is left
    // as it was, its root too (it said `touched .` with the mount point's mtime).
    if (realRun && !summary.fatal && !summary.interrupted && !emptySource) {
      await finishLocalTarget(cmd.source, cmd.target)
      // Said as done only where it took (best effort: a root another user owns keeps its mode):
      // a run that set them said "nothing to do", and --json had no event of it.
      const action = rootAction(rootsBefore, modes, windowMs)
      if (action !== undefined && rootAction(await localRoots(cmd.source, cmd.target), modes, windowMs) === undefined) {
        for (const e of rootActionEvents(action, 'done')) reporter.event(e)
        // (The engine's stats, all said by now, never saw it: 3 planned where `done` said 4.)
        if (lastStats !== undefined) reporter.event(statsWithRoot({ ...lastStats, ts: Date.now() }, true))
        summary = withRootCounted(summary, action, true)
        if (done?.type === 'done') done = { ...done, ts: Date.now(), summary }
      }
    }
    if (done !== undefined) reporter.event(done)
    // A run stopped by a fatal error says what it did first (a listing that failed once transfers
    // had started lets them finish): not the bare error of a run that did nothing.
    // (`check` did nothing but list the differences it found: those are what it says.)
    const did = cmd.kind === 'check' ? differenceCount(summary) : doneCount(summary)
    reporter.end(summary.fatal && did === 0 ? undefined : summary)
    // A fatal error is also a `failed` event: print it once.
    if (summary.fatal && !reporter.shown?.(summary.fatal)) {
      streams.stderr.write(formatError(reviveError(summary.fatal), flags.verbose === true))
    }
    hooks?.event({ type: 'done', ts: Date.now(), summary })
    return exitCodeForSummary(summary, cmd.kind === 'check' ? 'check' : 'sync')
  } catch (err) {
    const error = asSyncError(err)
    // `check` says so in its summary's mode, whether it ran or not (a script dispatches on it).
    const fatalDone = fatalDoneEvent(error, cmd.kind === 'sync' ? cmd.mode : cmd.kind, dryRun)
    if (flags.json) reporter.event(fatalDone)
    // A run that could not start still pings /fail.
    hooks?.event(fatalDone)
    reporter.end(undefined)
    streams.stderr.write(formatError(err, flags.verbose === true))
    return exitCodeForError(error)
  } finally {
    await hooks?.close()
    removeHandlers()
    // After a hangup: the job is closed by now; the process ends by the signal (exit status 129).
    hangup.finish()
  }
}

/** The command as the user typed it, for the webhook's /start ping. */
function commandName(cmd: JobCommand): string {
  if (cmd.kind !== 'sync') return cmd.kind
  if (cmd.flags.removeSourceFiles === true) return 'move'
  if (cmd.sideNames !== undefined) return 'restore'
  return cmd.mode === 'mirror' ? 'sync' : 'copy'
}
