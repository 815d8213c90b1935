import { asSyncError, bisync, type SyncError, type SyncEvent, sync } from '@syncflow/core'
// The continuous engine, from core's build by path until core's entry exports it (see load-continuous.ts).
import { backendView, CONTINUOUS_MODE, continuousBisync, continuousSync, PauseGate } from '@syncflow/core/continuous'
import { Subject } from 'rxjs'
import { continuousOptionsOf } from '../commands/load-continuous.js'
import type { UiFlags } from '../commands/ui.js'
import { assertBisyncSides, bisyncOptionsOf, twoWayJobSpec } from '../job/bisync-of.js'
import { createBuiltinRegistry } from '../job/builtin-plugins.js'
import { fatalDoneEvent } from '../job/fatal-done-event.js'
import { finishLocalTargetMtime } from '../job/finish-local-target.js'
import { markedRoot } from '../job/marked-root.js'
import { openJob } from '../job/open-job.js'
import { madeRootAction, plannedRootAction, withRootAction } from '../job/root-mode-action.js'
import { withRootActionFirstCycle } from '../job/with-root-action-first-cycle.js'
import { type OpenedReporters, openReporters } from '../reporters/open-reporters.js'
import { onRunEvent } from '../young-generation-cap.js'

/** What `syncflow ui` runs. */
export interface EngineInput {
  readonly source: string
  readonly target: string
  readonly flags: UiFlags
}

/** Where the opened job runs, as the backends name the locations. */
export interface OpenedJobInfo {
  readonly source: string
  readonly target: string
  /** Where `--metrics` are served. */
  readonly metricsUrl?: string
}

/** `syncflow ui`'s job, started. */
export interface EngineRun {
  /** Resolves once the reporters and the job are open and the run has started; rejects with why not. */
  readonly opened: Promise<OpenedJobInfo>
  /** The run's events in order (the reporters get them too); completes once the job is closed. Subscribe at once. */
  readonly events: Subject<SyncEvent>
  /** Pauses and resumes the run: no new transfer, delete or move starts while paused. */
  readonly gate: PauseGate
  /** Asks the run to stop cleanly (in-flight writes finish or are abandoned atomically, state saved). */
  abort(): void
  /** Resolves once the job is closed (state saved, lock released, reporters flushed), with the error that stopped it, if any. */
  readonly closed: Promise<{ readonly fatal?: SyncError }>
  /** What the reporters asked to tell the user once the screen is gone (a webhook that could not be reached). */
  readonly warnings: readonly string[]
}

/**
 * Starts `syncflow ui`'s job on this thread: opens the reporters (webhook, metrics) and the job,
 * runs it (a sync, or a continuous job with `--watch`) with a pause gate on both sides, and closes
 * everything before `closed` resolves. The engine and the UI share the thread: on two cores that
 * costs less than a worker thread, which needs its own copy of the engine, its own compiled code
 * and garbage collector, and a copy of every event (measured: bench/watch/README.md).
 */
export function startEngine({ source, target, flags }: EngineInput): EngineRun {
  const controller = new AbortController()
  const gate = new PauseGate()
  const events = new Subject<SyncEvent>()
  const warnings: string[] = []
  let markOpened: (info: OpenedJobInfo) => void = () => {}
  let failOpen: (error: SyncError) => void = () => {}
  const opened = new Promise<OpenedJobInfo>((resolve, reject) => {
    markOpened = resolve
    failOpen = reject
  })
  // The caller may have stopped waiting for it (a job that fails once running).
  opened.catch(() => {})

  const run = async (): Promise<{ fatal?: SyncError }> => {
    const mode = flags.mode ?? 'mirror'
    const dryRun = flags.dryRun === true
    // Two-way (`--bisync`): one bisync run, or with --watch a pass each time either side changes.
    const twoWay = flags.bisync === true
    let reporters: OpenedReporters | undefined
    const jobInfo = { command: flags.watch ? 'ui --watch' : 'ui', source, target }
    // The terminal is the UI's: warnings are printed once it is gone.
    const warn = (message: string): void => void warnings.push(message)
    try {
      try {
        reporters = await openReporters(
          {
            ...(flags.webhook ? { webhook: flags.webhook } : {}),
            ...(flags.metrics ? { metrics: flags.metrics } : {}),
            // A one-shot run pings /fail where it exits non-zero (interrupted, deletes held back),
            // as sync's --webhook does; a watch's cycles and its Ctrl-C end are no failure.
            ...(flags.watch ? { vanishedRetried: true } : { interruptedFails: true, heldDeletesFail: true }),
          },
          jobInfo,
          warn,
        )
      } catch (err) {
        // A --metrics address that could not be used failed before the webhook was opened: the
        // monitor heard nothing, not the /fail a job that cannot start sends (QA 30f, as for watch).
        if (flags.webhook) {
          const hook = await openReporters({ webhook: flags.webhook }, jobInfo, warn).catch(() => undefined)
          hook?.event(
            fatalDoneEvent(asSyncError(err), flags.watch ? CONTINUOUS_MODE : twoWay ? 'bisync' : mode, dryRun),
          )
          await hook?.close()
        }
        throw err
      }
      const sinks = reporters
      let job: Awaited<ReturnType<typeof openJob>>
      try {
        if (twoWay) await assertBisyncSides(target, flags.state)
        job = await openJob(
          twoWay ? twoWayJobSpec({ mode, source, target, flags }) : { mode, source, target, flags, readOnly: dryRun },
          createBuiltinRegistry(),
          controller.signal,
        )
      } catch (err) {
        // A job that could not start still ends with a /fail ping.
        // A continuous job's `done` names the mode `watch`, as its last one would have (QA 23 #8).
        sinks.event(fatalDoneEvent(asSyncError(err), flags.watch ? CONTINUOUS_MODE : twoWay ? 'bisync' : mode, dryRun))
        throw err
      }
      try {
        markOpened({
          source: job.source.uri,
          target: job.target.uri,
          ...(sinks.metricsUrl ? { metricsUrl: sinks.metricsUrl } : {}),
        })
        // Pausing holds back every call that starts a change (read, write, move, remove…) on either side.
        const src = backendView(job.source, { gate, signal: controller.signal })
        const dst = backendView(job.target, { gate, signal: controller.signal })
        // What a real run does to a local target's root (makes it; gives it the source root's mode),
        // said by a dry run as `sync -n` says it (QA 27a: `ui -n` said "create 20" where `sync -n`
        // said "create 21 directories", and nothing of a root mode a run would set).
        // A watch gives the root the source root's mtime after each cycle, not its mode (QA 35 #1:
        // `--watch -n` said nothing of the root, not even one to make).
        // A real run says the root it made (QA 35: `sync -n` said `mkdir .`, the run nothing).
        const rootAct = dryRun
          ? await plannedRootAction(job, source, target, !flags.watch && job.target.capabilities.permissions)
          : madeRootAction(job)
        const said = dryRun ? 'dry-run' : 'done'
        const run$ = twoWay
          ? flags.watch
            ? continuousBisync(src, dst, {
                ...bisyncOptionsOf(job.options, flags),
                ...continuousOptionsOf(flags),
                reloadFilter: job.reloadFilter,
              })
            : bisync(src, dst, bisyncOptionsOf(job.options, flags))
          : flags.watch
            ? withRootActionFirstCycle(
                continuousSync(src, dst, {
                  ...job.options,
                  ...continuousOptionsOf(flags),
                  reloadFilter: job.reloadFilter,
                  checkRoots: job.checkRoots,
                }),
                rootAct,
                said,
              )
            : rootAct
              ? withRootAction(sync(src, dst, job.options), rootAct, said)
              : sync(src, dst, job.options)
        // Each watch cycle that ran gives the target root the source root's mtime, as `watch` does
        // (QA 30e: check, which compares the roots' mtimes, said `touch .` after any watch).
        let rootTime = Promise.resolve()
        await new Promise<void>((resolve, reject) => {
          run$.subscribe({
            next: (e) => {
              onRunEvent(e)
              sinks.event(e)
              events.next(e)
              if (
                !dryRun &&
                !twoWay &&
                e.type === 'done' &&
                e.cycle !== undefined &&
                !e.summary.fatal &&
                !e.summary.interrupted &&
                // (A root holding an --exclude-if-present marker is excluded, its mtime too.)
                !markedRoot([source, target], flags.excludeIfPresent)
              ) {
                rootTime = rootTime.then(() => finishLocalTargetMtime(source, target))
              }
            },
            error: reject,
            complete: resolve,
          })
        })
        await rootTime
      } finally {
        // (A target's close that fails is said by a one-shot run only, not yet here.)
        await job.close().catch(() => {})
      }
      return {}
    } catch (err) {
      const fatal = asSyncError(err)
      failOpen(fatal)
      return { fatal }
    } finally {
      await reporters?.close()
      events.complete()
    }
  }

  return {
    opened,
    events,
    gate,
    abort: () => controller.abort(),
    closed: run(),
    warnings,
  }
}
