import { isRunStop, type SerializedError, type SyncEvent, type SyncSummary } from '@syncflow/core'
import { failureHint } from './failure-hint.js'
import { formatCompleted, formatFailed, formatPlanned, formatRemoved, type SideNames } from './format-action.js'
import { formatProgressLine } from './format-progress-line.js'
import { formatCheckSummary, formatSummary } from './format-summary.js'
import { GuardSkips } from './guard-skips.js'
import { BISYNC_NOTICE_HINTS, NOTICE_HINTS } from './notice-hints.js'
import { printable, printableName } from './printable.js'
import { ProgressTracker } from './progress-tracker.js'
import { RefusedLines } from './refused-lines.js'
import { quitAtOnceHint, type Reporter } from './reporter.js'
import type { Streams } from './streams.js'

/** Redraws of the progress line per second, at most. */
const MAX_FPS = 10
const CLEAR_LINE = '\r\x1b[K'
/** Notices about removed temp files of killed runs printed one by one (the rest are counted). */
const STALE_TEMPS_SHOWN = 3

/** Options of the human-readable output. */
export interface HumanReporterOptions {
  /** `sync` prints what was done; `check` lists the differences found. */
  readonly kind: 'sync' | 'check'
  readonly dryRun: boolean
  readonly quiet: boolean
  readonly verbose: boolean
  /** Two-way sync's `A` and `B`: failure lines and hints name them, not a source and a target. */
  readonly sideNames?: SideNames
}

/**
 * Human-readable output. stdout gets one line per action done (or, for `check` and dry runs, to do)
 * when it is not a terminal, or with -v; stderr gets failures, notices, a live progress line when it
 * is a terminal, and the summary.
 */
export class HumanReporter implements Reporter {
  readonly #s: Streams
  readonly #o: HumanReporterOptions
  readonly #tracker = new ProgressTracker()
  readonly #showActions: boolean
  readonly #timer: NodeJS.Timeout | undefined
  #progressShown = false
  #dirty = false
  /** STALE_TEMP_REMOVED notices seen (only the first few are printed unless -v). */
  #staleTemps = 0
  /** Files -H linked to another name of theirs (of `summary.linked`, which counts --link-dest's too). */
  #hardLinked = 0
  /** Why a guard kept the deletes from running: said once, not again on a line per delete (unless -v). */
  readonly #guard: GuardSkips
  /** Messages of failures that are no one file's, printed with their hint. */
  readonly #shownInFull = new Set<string>()
  /** Hints printed so far: a TRANSIENT failure's is printed once, not on the line of every file it cut. */
  readonly #hintsShown = new Set<string>()
  /** Refused files past the first few: one line per directory, the rest counted (QA 32b). */
  readonly #refused: RefusedLines

  constructor(streams: Streams, options: HumanReporterOptions) {
    this.#s = streams
    this.#o = options
    this.#guard = new GuardSkips(options.verbose)
    this.#refused = new RefusedLines(options.verbose)
    this.#showActions =
      !options.quiet && (options.kind === 'check' || options.dryRun || options.verbose || !streams.stdout.isTTY)
    if (streams.stderr.isTTY && !options.quiet && options.kind === 'sync') {
      this.#timer = setInterval(() => this.#draw(), 1000 / MAX_FPS)
      this.#timer.unref()
    }
  }

  event(event: SyncEvent): void {
    this.#tracker.apply(event)
    this.#dirty = true
    switch (event.type) {
      case 'planned':
        if (this.#showActions && this.#o.kind === 'check') this.#line('stdout', formatPlanned(event.action))
        break
      case 'completed':
        // (-H's links, apart from --link-dest's in the summary: see formatSummary.)
        if (event.linked && event.action.linkTo !== undefined) this.#hardLinked++
        if (this.#showActions && this.#o.kind === 'sync') {
          const how = event.moved ? 'moved' : event.linked ? 'linked' : undefined
          this.#line('stdout', formatCompleted(event.action, event.dryRun ?? this.#o.dryRun, how))
        }
        break
      case 'failed': {
        // After Ctrl-C every action not yet done ends as ABORTED: the summary says so once.
        if (event.error.code === 'ABORTED' && !this.#o.verbose) break
        // The AUTH stop after refused transfers is the run's fatal error, no failed item: it is said
        // as every fatal error is, `syncflow: …` after the run (not a `failed   (transfer):` line more
        // than the items refused, QA 18 F6).
        if (isRunStop(event)) break
        // A failure that is no one file's (the state store, a whole listing) is rare and says what to do.
        const general = event.path === ''
        // A listing failure (a whole side, or a part of it) is rare, stops deletes, and may end the
        // run: said in full, once (the run's fatal error, if it is that one, is not said again).
        const full = general || event.stage === 'list'
        if (full) this.#shownInFull.add(event.error.message)
        if (!this.#refused.shows(event)) break
        // Messages and hints may quote names: their line breaks are escaped too (only ours are kept).
        this.#line(
          'stderr',
          formatFailed(event, failureHint(event, this.#o.verbose, this.#hintsShown), this.#o.sideNames),
        )
        break
      }
      case 'removed':
        // A file moved by a rename was said `moved` when linked to its new name: its source name
        // going is the same move (said with -v).
        if (event.renamed && !this.#o.verbose) break
        if (this.#showActions && this.#o.kind === 'sync') this.#line('stdout', formatRemoved(event))
        break
      case 'skipped':
        // A guard's verdict is one notice and the summary; its delete-by-delete lines only with -v
        // (with 100,000 files they would flood the terminal with one sentence).
        if (this.#guard.said(event)) break
        if (!this.#o.quiet) this.#line('stderr', `skipped  ${printableName(event.path)}: ${printable(event.reason)}`)
        break
      case 'notice': {
        if (this.#o.quiet) break
        // A killed run can leave a group of temp files (a hundred or more): a few lines, then a count.
        if (event.code === 'STALE_TEMP_REMOVED' && !this.#o.verbose && ++this.#staleTemps > STALE_TEMPS_SHOWN) break
        this.#guard.notice(event.code, event.message)
        const hint = (this.#o.sideNames ? BISYNC_NOTICE_HINTS[event.code] : undefined) ?? NOTICE_HINTS[event.code]
        this.#line('stderr', `note: ${printable(event.message)}${hint ? `\n  ${hint}` : ''}`)
        break
      }
      default:
        break
    }
  }

  shown(error: SerializedError): boolean {
    return this.#shownInFull.has(error.message)
  }

  interrupting(signal?: NodeJS.Signals): void {
    this.#line(
      'stderr',
      `syncflow: stopping… in-flight files are finished or abandoned cleanly (${quitAtOnceHint(signal)})`,
    )
  }

  end(summary: SyncSummary | undefined): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#clearProgress()
    // (With -q too: it stands for failure lines not printed.)
    const refused = this.#refused.tail((e) =>
      printable(formatFailed(e, failureHint(e, this.#o.verbose, this.#hintsShown), this.#o.sideNames), true),
    )
    if (refused !== undefined) this.#s.stderr.write(`${refused}\n`)
    if (this.#staleTemps > STALE_TEMPS_SHOWN && !this.#o.quiet) {
      const more = this.#staleTemps - STALE_TEMPS_SHOWN
      this.#s.stderr.write(`note: ${more} more temp file(s) left by an interrupted run removed (-v lists them)\n`)
    }
    if (summary && this.#o.quiet) {
      // -q is "errors only", and a guard that held the deletes back makes the run exit 1: said in
      // one line, so that a cron job's log tells why (rsync warns likewise about --max-delete).
      if (summary.deletesSuppressed && !summary.dryRun) {
        this.#s.stderr.write(`syncflow: deletes suppressed: ${printable(summary.deletesSuppressed)}\n`)
      }
      return
    }
    if (!summary) return
    // A dry run sizes what it went through: not a clash --ignore-existing keeps (QA 24b #5).
    const snapshot = this.#tracker.snapshot(Date.now())
    const bytesPlanned = summary.dryRun ? snapshot.bytesWould : snapshot.bytesPlanned
    // A run's fatal error is printed once, on its own: as its failure, or after this summary.
    const fatalSaid = summary.fatal && this.shown(summary.fatal) ? 'above' : 'below'
    this.#s.stderr.write(
      this.#o.kind === 'check'
        ? formatCheckSummary(summary, fatalSaid)
        : formatSummary(summary, bytesPlanned, fatalSaid, this.#hardLinked),
    )
  }

  /** Writes a whole line, keeping the progress line below it. */
  #line(stream: 'stdout' | 'stderr', text: string): void {
    this.#clearProgress()
    this.#s[stream].write(`${printable(text, true)}\n`)
    this.#dirty = true
  }

  #clearProgress(): void {
    if (this.#progressShown) {
      this.#s.stderr.write(CLEAR_LINE)
      this.#progressShown = false
    }
  }

  #draw(): void {
    if (!this.#dirty) return
    this.#dirty = false
    const line = formatProgressLine(this.#tracker.snapshot(Date.now()), this.#s.stderr.columns || 80)
    this.#s.stderr.write(`${CLEAR_LINE}${line}`)
    this.#progressShown = true
  }
}
