import type { SerializedError, SyncErrorCode } from '../errors/sync-error.js'
import { type Action, type ActionKind, MODE_AND_MTIME_DIFFER, MODE_DIFFERS } from '../model/action.js'
import type { ActionCounts, SyncEvent, SyncSummary } from '../model/sync-event.js'
import { listingErrorHoldsDeletes } from '../operators/guard-deletes.js'
import { isRunStop } from '../operators/stop-when-refused.js'

const zero = (): Record<ActionKind, number> => ({
  copy: 0,
  update: 0,
  delete: 0,
  mkdir: 0,
  move: 0,
  touch: 0,
  conflict: 0,
  skip: 0,
})

/** The notices that say the run's deletes were not run (`SyncSummary.deletesSuppressed` gives the last one's message). */
export const DELETE_SUPPRESSIONS: ReadonlySet<string> = new Set([
  'DELETES_SUPPRESSED',
  'MAX_DELETE',
  'EMPTY_SOURCE',
  'INTERRUPTED',
])

/** Folds a run's events into its `done` summary. */
export class SummaryBuilder {
  readonly planned = zero()
  /** Old target files kept in the backup directory (completed events with `kept`). */
  kept = 0
  /** New files hard-linked from a --link-dest directory (completed events with `linked`). */
  linked = 0
  /** Files moved within one file system (`removed` events with `renamed`). */
  moved = 0
  /** Source files removed (`removed` events: --remove-source-files). */
  sourceRemoved = 0
  /** Source directories removed, left empty (`removed` events with `dir`). */
  sourceDirsRemoved = 0
  readonly done = zero()
  /** `mkdir` actions of an existing directory: they only set its mode. */
  readonly modesSet = { planned: 0, done: 0 }
  readonly fileModesSet = { planned: 0, done: 0 }
  readonly fileModesAndMtimesSet = { planned: 0, done: 0 }
  /** `touch` and `delete` actions of directories. */
  readonly dirActions = { planned: { touch: 0, delete: 0 }, done: { touch: 0, delete: 0 } }
  unchanged = 0
  /** Target files `--ignore-existing` left as they are, not found identical (see `SyncSummary.leftExisting`). */
  leftExisting = 0
  /** Target files `--update` left as they are, newer than the source's (see `SyncSummary.leftNewer`). */
  leftNewer = 0
  failed = 0
  skipped = 0
  bytes = 0
  notices = 0
  listingErrors = 0
  interrupted = false
  deletesSuppressed: string | undefined
  fatal: SerializedError | undefined
  readonly errorCodes: Partial<Record<SyncErrorCode, number>> = {}
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks (~2 ms of startup).
  readonly #t0: bigint

  /** `startedAt`: when the run began (process.hrtime.bigint()), for one run of several passes. */
  constructor(
    readonly mode: string,
    readonly dryRun: boolean,
    startedAt: bigint = process.hrtime.bigint(),
  ) {
    this.#t0 = startedAt
  }

  add(e: SyncEvent): void {
    switch (e.type) {
      case 'planned':
        this.planned[e.action.kind]++
        if (e.action.kind === 'mkdir' && e.action.target !== undefined) this.modesSet.planned++
        if (isFileChmod(e.action)) this.fileModesSet.planned++
        if (isFileChmodTouch(e.action)) this.fileModesAndMtimesSet.planned++
        countDirAction(this.dirActions.planned, e.action)
        break
      case 'completed':
        this.done[e.action.kind]++
        if (e.action.kind === 'mkdir' && e.action.target !== undefined) this.modesSet.done++
        if (isFileChmod(e.action)) this.fileModesSet.done++
        if (isFileChmodTouch(e.action)) this.fileModesAndMtimesSet.done++
        countDirAction(this.dirActions.done, e.action)
        this.bytes += e.bytes
        if (e.kept) this.kept++
        if (e.linked) this.linked++
        break
      case 'skipped':
        this.skipped++
        break
      case 'removed':
        if (e.dir) this.sourceDirsRemoved++
        else this.sourceRemoved++
        if (e.renamed) this.moved++
        break
      case 'failed':
        if (e.error.code === 'ABORTED') {
          this.interrupted = true
          break
        }
        if (isRunStop(e)) break // the run's fatal error (summary.fatal), not one more item
        this.failed++
        // The count the summary gives as the reason nothing was deleted: only errors that hold deletes back.
        if (e.stage === 'list' && listingErrorHoldsDeletes(e.error)) this.listingErrors++
        this.errorCodes[e.error.code] = (this.errorCodes[e.error.code] ?? 0) + 1
        break
      case 'notice':
        this.notices++
        if (DELETE_SUPPRESSIONS.has(e.code)) this.deletesSuppressed = e.message
        break
      default:
    }
  }

  build(): SyncSummary {
    const durationMs = Number(process.hrtime.bigint() - this.#t0) / 1e6
    const files = this.done.copy + this.done.update
    return {
      mode: this.mode,
      dryRun: this.dryRun,
      planned: { ...this.planned } as ActionCounts,
      done: { ...this.done } as ActionCounts,
      ...(this.modesSet.planned > 0 || this.modesSet.done > 0 ? { modesSet: { ...this.modesSet } } : {}),
      ...(this.fileModesSet.planned > 0 || this.fileModesSet.done > 0
        ? { fileModesSet: { ...this.fileModesSet } }
        : {}),
      ...(this.fileModesAndMtimesSet.planned > 0 || this.fileModesAndMtimesSet.done > 0
        ? { fileModesAndMtimesSet: { ...this.fileModesAndMtimesSet } }
        : {}),
      ...(Object.values(this.dirActions).some((c) => c.touch > 0 || c.delete > 0)
        ? { dirActions: { planned: { ...this.dirActions.planned }, done: { ...this.dirActions.done } } }
        : {}),
      unchanged: this.unchanged,
      ...(this.leftExisting > 0 ? { leftExisting: this.leftExisting } : {}),
      ...(this.leftNewer > 0 ? { leftNewer: this.leftNewer } : {}),
      ...(this.kept > 0 ? { kept: this.kept } : {}),
      ...(this.linked > 0 ? { linked: this.linked } : {}),
      ...(this.sourceRemoved > 0 ? { sourceRemoved: this.sourceRemoved } : {}),
      ...(this.moved > 0 ? { moved: this.moved } : {}),
      ...(this.sourceDirsRemoved > 0 ? { sourceDirsRemoved: this.sourceDirsRemoved } : {}),
      failed: this.failed,
      skipped: this.skipped,
      bytesTransferred: this.bytes,
      durationMs,
      bytesPerSec: durationMs > 0 ? (this.bytes / durationMs) * 1000 : 0,
      filesPerSec: durationMs > 0 ? (files / durationMs) * 1000 : 0,
      listingErrors: this.listingErrors,
      ...(this.deletesSuppressed !== undefined ? { deletesSuppressed: this.deletesSuppressed } : {}),
      notices: this.notices,
      interrupted: this.interrupted,
      ...(this.fatal ? { fatal: this.fatal } : {}),
      errorCodes: { ...this.errorCodes },
    }
  }
}

/** Counts a `touch` or `delete` of a directory into `counts`. */
function countDirAction(counts: { touch: number; delete: number }, action: Action): void {
  if (action.kind === 'delete' && action.target?.kind === 'dir') counts.delete++
  else if (action.kind === 'touch' && action.source?.kind === 'dir') counts.touch++
}

/** A `touch` of a file for its mode alone (see `SyncSummary.fileModesSet`). */
function isFileChmod(action: Action): boolean {
  return action.kind === 'touch' && action.reason === MODE_DIFFERS && action.source?.kind === 'file'
}

/** A `touch` of a file for its mode and mtime (see `SyncSummary.fileModesAndMtimesSet`). */
function isFileChmodTouch(action: Action): boolean {
  return action.kind === 'touch' && action.reason === MODE_AND_MTIME_DIFFER && action.source?.kind === 'file'
}
