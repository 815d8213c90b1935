import type { SyncEvent, SyncSummary } from '@syncflow/core'
import { failureHint } from '../output/failure-hint.js'
import { formatCompleted, formatFailed } from '../output/format-action.js'
import { formatSummary } from '../output/format-summary.js'
import { GuardSkips } from '../output/guard-skips.js'
import { NOTICE_HINTS, TWO_WAY_WATCH_NOTICE_HINTS, WATCH_NOTICE_HINTS } from '../output/notice-hints.js'
import { printable, printableName } from '../output/printable.js'
import { RefusedLines } from '../output/refused-lines.js'
import { quitAtOnceHint, type Reporter } from '../output/reporter.js'
import type { Streams } from '../output/streams.js'
import { summaryText } from '../ui/summary-text.js'
import { isVanishedCopy, withoutVanished } from './vanished-copies.js'

/** Options of `WatchLogReporter`. */
export interface WatchLogOptions {
  readonly dryRun: boolean
  readonly quiet: boolean
  readonly verbose: boolean
}

/**
 * Human-readable output of `syncflow watch`, a log rather than a progress line (a watch runs for
 * days): stdout gets one line per action done when it is not a terminal, or with -v; stderr gets
 * one line per cycle that did something (`12:00:03 #4 2 copied, 1 deleted, 1.50 KiB in 0.2s`),
 * failures, notices, and the job's summary at the end.
 */
export class WatchLogReporter implements Reporter {
  readonly #s: Streams
  readonly #o: WatchLogOptions
  readonly #showActions: boolean
  #cycles = 0
  readonly #guard: GuardSkips
  /**
   * Hints of TRANSIENT failures, and of held deletes' notes, already printed (one per outage, not
   * one per file and cycle; forgotten by a cycle without failures).
   */
  readonly #hintsShown = new Set<string>()
  /** Refused files of this cycle past the first few: one line per directory, the rest counted (QA 32b). */
  #refused: RefusedLines
  /** A two-way watch (`started`): its guards' notes get two-way hints. */
  #twoWay = false
  /**
   * A two-way watch's notes and skip lines of the last pass, and of this one: a pass that says only
   * what the one before said (deletes held, the writes held with them) is not printed again. Each
   * pass is a whole bisync, which finds the same held deletes again: with a side polled (s3://), the
   * same note and `#n: 10 skipped` line came every 2 s for as long as the watch ran (review of watch).
   */
  #lastPass = new Set<string>()
  #thisPass = new Set<string>()
  #lastSkipped = -1
  #saidNew = false
  /**
   * The cycle's failures so far, and of them its copies whose source vanished (`isVanishedCopy`):
   * tried again by the watch, which finds them gone, they are no failure of it. Said with -v only; a
   * burst of short-lived files (a build, a `git checkout`) printed a `failed … NOT_FOUND` line each,
   * a note that deletes were held, and `N failed` on the cycle's line (review of watch).
   */
  #failures = 0
  #vanished = 0

  constructor(streams: Streams, options: WatchLogOptions) {
    this.#s = streams
    this.#o = options
    this.#guard = new GuardSkips(options.verbose)
    this.#refused = new RefusedLines(options.verbose)
    this.#showActions = !options.quiet && (options.verbose || !streams.stdout.isTTY)
  }

  /** Says what is watched, once the job runs: `A ⇄ B` for a two-way watch. */
  started(source: string, target: string, twoWay = false): void {
    this.#twoWay = twoWay
    if (!this.#o.quiet) this.#s.stderr.write(`watching ${source} ${twoWay ? '⇄' : '→'} ${target} (Ctrl-C to stop)\n`)
  }

  event(e: SyncEvent): void {
    switch (e.type) {
      case 'completed':
        if (this.#showActions) this.#s.stdout.write(`${formatCompleted(e.action, e.dryRun ?? this.#o.dryRun)}\n`)
        break
      case 'failed': {
        if (e.error.code !== 'ABORTED') this.#failures++
        if (isVanishedCopy(e)) {
          this.#vanished++
          if (!this.#o.verbose) break
        }
        if (e.error.code === 'ABORTED' && !this.#o.verbose) break
        if (!this.#refused.shows(e)) break
        // With its hint as `sync` prints it (a listing failure's was left out: QA 6 F7).
        this.#s.stderr.write(`${formatFailed(e, failureHint(e, this.#o.verbose, this.#hintsShown))}\n`)
        break
      }
      case 'skipped': {
        if (this.#guard.said(e)) break
        const line = `skipped  ${printableName(e.path)}: ${printable(e.reason)}`
        if (this.#repeated(line)) break
        if (!this.#o.quiet) this.#s.stderr.write(`${line}\n`)
        break
      }
      case 'notice': {
        // Deletes held by vanished copies alone go with their retry (see `#vanished`).
        const vanishedOnly = this.#failures > 0 && this.#failures === this.#vanished
        if (e.code === 'DELETES_SUPPRESSED' && vanishedOnly && !this.#o.verbose) break
        this.#guard.notice(e.code, e.message)
        if (this.#repeated(`${e.code} ${e.message}`)) break
        if (this.#o.quiet) break
        // Said again each cycle, the note's hint only once until a cycle without failures (a busy
        // file's copy that kept failing repeated it under every cycle of its own).
        const hint = this.#hintsShown.has(`notice:${e.code}`)
          ? undefined
          : ((this.#twoWay ? TWO_WAY_WATCH_NOTICE_HINTS[e.code] : undefined) ??
            WATCH_NOTICE_HINTS[e.code] ??
            NOTICE_HINTS[e.code])
        if (hint !== undefined && e.code === 'DELETES_SUPPRESSED') this.#hintsShown.add(`notice:${e.code}`)
        this.#s.stderr.write(`note: ${printable(e.message)}${hint ? `\n  ${hint}` : ''}\n`)
        break
      }
      case 'done': {
        if (e.summary.mode === 'watch') break
        const vanished = this.#vanished
        this.#failures = 0
        this.#vanished = 0
        this.#guard.reset()
        // (With -q too: it stands for failure lines not printed.)
        const refused = this.#refused.tail((f) => formatFailed(f, failureHint(f, this.#o.verbose, this.#hintsShown)))
        if (refused !== undefined) this.#s.stderr.write(`${refused}\n`)
        this.#refused = new RefusedLines(this.#o.verbose)
        // A cycle without failures ends an outage: the next one's first line gets its hint again
        // (they were said once per job, so a server gone away a day later got no word of what to check).
        if (e.summary.failed - vanished <= 0 && e.summary.fatal === undefined) this.#hintsShown.clear()
        // The job numbers its cycles (`cycle`, as `--json` shows them); counted here for a `done` without one.
        this.#cycles = e.cycle ?? this.#cycles + 1
        const initial = e.trigger === undefined ? this.#cycles === 1 : e.trigger === 'initial'
        const s = withoutVanished(e.summary, vanished)
        // A dry run did nothing: its cycles say what they would do (`would copy 2, delete 1`).
        const counts = this.#o.dryRun ? s.planned : s.done
        const busy = s.failed + s.skipped + Object.values(counts).reduce((a, b) => a + b, 0) > 0
        // A two-way pass that only held again what the last one held, and said nothing new (see `#lastPass`).
        const heldAgain =
          this.#twoWay &&
          !this.#saidNew &&
          s.failed === 0 &&
          s.skipped === this.#lastSkipped &&
          Object.values(counts).every((n) => n === 0)
        this.#lastPass = this.#thisPass
        this.#thisPass = new Set()
        this.#saidNew = false
        this.#lastSkipped = s.skipped
        // The initial sync is always said, so the user knows the watch is live.
        if (this.#o.quiet || ((!busy || heldAgain) && !initial)) break
        const time = new Date(e.ts).toTimeString().slice(0, 8)
        const label = initial ? 'initial sync' : `#${this.#cycles}`
        this.#s.stderr.write(`${time} ${label}: ${summaryText(s)}${s.interrupted ? ' (interrupted)' : ''}\n`)
        break
      }
      default:
    }
  }

  /** A two-way watch's line that the last pass printed too (see `#lastPass`): not printed again. */
  #repeated(line: string): boolean {
    if (!this.#twoWay) return false
    this.#thisPass.add(line)
    if (this.#lastPass.has(line)) return true
    this.#saidNew = true
    return false
  }

  interrupting(signal?: NodeJS.Signals): void {
    if (!this.#o.quiet) this.#s.stderr.write(`syncflow: stopping… (${quitAtOnceHint(signal)})\n`)
  }

  end(summary: SyncSummary | undefined): void {
    if (!summary || this.#o.quiet) return
    this.#s.stderr.write(formatSummary(summary))
  }
}
